using System.Globalization;
using InContext.Baselines;
using InContext.Models;
using ScottPlot;

namespace InContext.Reports;

/// <summary>One strength of a shift and the three errors a limitation figure draws there; for several seeds, the transformer's lowest and highest seed (its band).</summary>
public sealed record ShiftSweepPoint(double Strength, double Transformer, double LeastSquares, double BestBaseline, double TransformerLow = double.NaN, double TransformerHigh = double.NaN);

/// <summary>
/// How a learner's error moves as a shift grows: error relative to predicting 0 (under the same
/// shift) against the shift's strength, for the transformer, least squares and the best classical
/// learner at each strength, with predicting 0 as the dashed line at 1. Multiplicative shifts
/// (scales, skew) get a logarithmic strength axis.
/// </summary>
public static class ShiftSweepFigure
{
    static readonly Color Best = Color.FromHex("#555555");

    /// <summary>The figure of <paramref name="points"/>, titled <paramref name="title"/>, with the strength axis labelled <paramref name="strengthLabel"/> (a logarithmic axis when <paramref name="logarithmic"/>).</summary>
    public static Plot Build(string title, string strengthLabel, IReadOnlyList<ShiftSweepPoint> points, bool logarithmic)
    {
        var plot = new Plot();
        FigureStyle.Apply(plot);
        double X(double v) => logarithmic ? Math.Log2(v) : v;
        var xs = points.Select(p => X(p.Strength)).ToArray();
        void Line(Func<ShiftSweepPoint, double> value, Color color, string label, LinePattern pattern)
        {
            var line = plot.Add.ScatterLine(xs, points.Select(value).ToArray(), color);
            line.LineWidth = 2.5f;
            line.MarkerSize = 6;
            line.LinePattern = pattern;
            line.LegendText = label;
        }
        var transformer = ModelPalette.For(InContextTransformer.Id);
        if (points.All(p => double.IsFinite(p.TransformerLow) && double.IsFinite(p.TransformerHigh)))
        {
            // Several seeds: the line is their mean, the band spans them, lowest to highest.
            var band = plot.Add.FillY(xs, points.Select(p => p.TransformerLow).ToArray(), points.Select(p => p.TransformerHigh).ToArray());
            band.FillColor = transformer.WithAlpha(0.2);
            band.LineWidth = 0;
            band.LegendText = "seeds, lowest to highest";
        }
        Line(p => p.Transformer, transformer, ModelDisplay.Name(InContextTransformer.Id) + (points.All(p => double.IsFinite(p.TransformerLow)) ? ", mean of the seeds" : ""), LinePattern.Solid);
        Line(p => p.LeastSquares, ModelPalette.For(LeastSquares.Id), ModelDisplay.Name(LeastSquares.Id), LinePattern.Solid);
        Line(p => p.BestBaseline, Best, "best classical learner", LinePattern.Dotted);
        var zero = plot.Add.HorizontalLine(1, 1.5f, ErrorFigure.TrivialColor, LinePattern.Dashed);
        zero.LegendText = "predicting 0";
        if (logarithmic)
            plot.Axes.Bottom.SetTicks(xs, points.Select(p => p.Strength.ToString("G3", CultureInfo.InvariantCulture)).ToArray());
        var finite = points.SelectMany(p => new[] { p.Transformer, p.LeastSquares, p.BestBaseline }).Where(double.IsFinite).ToList();
        plot.Axes.SetLimits(xs.Min() - 0.05 * Span(xs), xs.Max() + 0.05 * Span(xs), -0.05, Math.Max(1.25, finite.Count == 0 ? 1.25 : Math.Min(finite.Max() * 1.1, 5)));
        plot.Title(title);
        plot.XLabel(strengthLabel);
        plot.YLabel("error relative to predicting 0");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    static double Span(double[] xs) => xs.Length < 2 ? 1 : xs.Max() - xs.Min();
}
