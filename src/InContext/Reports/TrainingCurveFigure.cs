using InContext.Training;
using ScottPlot;

namespace InContext.Reports;

/// <summary>
/// How training went: the loss and the excess loss (loss over the zero predictor's) against the
/// step in the upper panel, each on its own y-axis since they differ in scale by about d; the
/// curriculum's n_points and n_dims in the lower panel, sharing the step axis.
/// </summary>
public static class TrainingCurveFigure
{
    /// <summary>The x-axis label of both panels.</summary>
    public const string StepLabel = "step";
    static readonly Color LossColor = Color.FromHex("#0173B2");
    static readonly Color ExcessColor = Color.FromHex("#DE8F05");
    static readonly Color PointsColor = Color.FromHex("#029E73");
    static readonly Color DimsColor = Color.FromHex("#D55E00");

    /// <summary>The training curve of <paramref name="log"/>, titled after <paramref name="runName"/>.</summary>
    public static Multiplot Build(IReadOnlyList<LogRow> log, string runName)
    {
        var steps = log.Select(r => (double)r.Step).ToArray();
        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Rows();
        var losses = figure.GetPlot(0);
        var curriculum = figure.GetPlot(1);
        foreach (var panel in new[] { losses, curriculum })
        {
            FigureStyle.Apply(panel);
            FigureStyle.IntegerXTicks(panel);
        }
        FigureStyle.FixMargins(losses, title: true, xLabel: false);
        FigureStyle.FixMargins(curriculum, title: false, xLabel: true);

        Line(losses, steps, log.Select(r => r.Loss), LossColor, "loss");
        var excess = Line(losses, steps, log.Select(r => r.ExcessLoss), ExcessColor, "excess loss (right axis)");
        excess.Axes.YAxis = losses.Axes.Right;
        losses.Title($"training: {runName}");
        losses.YLabel("loss");
        losses.Axes.Right.Label.Text = "excess loss";
        losses.Axes.Right.Label.ForeColor = ExcessColor;
        losses.Axes.Left.Label.ForeColor = LossColor;
        losses.ShowLegend(Alignment.UpperRight);

        Line(curriculum, steps, log.Select(r => (double)r.NPoints), PointsColor, "n_points");
        Line(curriculum, steps, log.Select(r => (double)r.NDims), DimsColor, "n_dims");
        curriculum.XLabel(StepLabel);
        curriculum.YLabel("curriculum");
        curriculum.ShowLegend(Alignment.LowerRight);

        figure.SharedAxes.ShareX(new[] { losses, curriculum });
        return figure;
    }

    static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, IEnumerable<double> ys, Color color, string label)
    {
        var line = plot.Add.ScatterLine(xs, ys.ToArray(), color);
        line.LineWidth = 2;
        line.LegendText = label;
        return line;
    }
}
