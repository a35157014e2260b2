using InContext.Evaluation;
using ScottPlot;

namespace InContext.Reports;

/// <summary>
/// The paper's figure for one evaluation: normalised squared error against the number of
/// in-context examples, one line per model over its bootstrap 90% band, and a dashed line at
/// 1, the error of always predicting 0.
/// </summary>
public static class ErrorFigure
{
    /// <summary>The x-axis label.</summary>
    public const string XLabel = "in-context examples";
    /// <summary>The grey of the dashed reference line.</summary>
    public static readonly Color TrivialColor = Color.FromHex("#808080");
    const float LineWidth = 2.5f;
    const double BandOpacity = 0.22;

    /// <summary>The paper's y-axis stops at 1.25; it grows only when most of the plotted means lie above that.</summary>
    const double PaperTop = 1.25;

    /// <summary>The figure of <paramref name="evaluationName"/>: <paramref name="curves"/> in legend order, the reference line and labels from <paramref name="settings"/>.</summary>
    public static Plot Build(string evaluationName, IReadOnlyList<ErrorCurve> curves, PlotSettings settings)
    {
        var plot = new Plot();
        FigureStyle.Apply(plot);
        FigureStyle.IntegerXTicks(plot);
        foreach (var curve in curves)
        {
            var xs = Enumerable.Range(0, curve.Mean.Length).Select(i => (double)i).ToArray();
            var color = ModelPalette.For(curve.ModelId);
            var band = plot.Add.FillY(xs, curve.Low, curve.High);
            band.FillColor = color.WithOpacity(BandOpacity);
            band.LineWidth = 0;
            var line = plot.Add.ScatterLine(xs, curve.Mean, color);
            line.LineWidth = LineWidth;
            line.LegendText = ModelDisplay.Name(curve.ModelId);
        }

        var trivial = plot.Add.HorizontalLine(settings.ReferenceLevel, 1.5f, TrivialColor, LinePattern.Dashed);
        trivial.LegendText = settings.ReferenceLabel;

        plot.Title(evaluationName);
        plot.XLabel(XLabel);
        plot.YLabel(settings.ValueLabel);
        int positions = curves.Count == 0 ? 1 : curves.Max(c => c.Mean.Length);
        plot.Axes.SetLimits(-0.5, Math.Max(positions - 0.5, 1), -0.1, Top(curves));
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    static double Top(IReadOnlyList<ErrorCurve> curves)
    {
        var means = curves.SelectMany(c => c.Mean).Where(double.IsFinite).Order().ToList();
        if (means.Count == 0) return PaperTop;
        double median = means[means.Count / 2];
        return median > PaperTop ? 1.1 * means[(int)(0.9 * (means.Count - 1))] : PaperTop;
    }
}
