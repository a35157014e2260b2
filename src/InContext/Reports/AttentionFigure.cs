using ScottPlot;
using TorchSharp;

namespace InContext.Reports;

/// <summary>
/// One attention head's weights for one prompt as a heatmap: row i of the prompt's rows
/// (x1, f(x1), x2, …) attending to row j. Under the causal mask the upper triangle is 0.
/// </summary>
public static class AttentionFigure
{
    /// <summary>The heatmap of <paramref name="weights"/>, a [rows, rows] tensor of one head for one prompt.</summary>
    public static Plot Build(torch.Tensor weights, string title)
    {
        if (weights.dim() != 2 || weights.shape[0] != weights.shape[1])
            throw new ArgumentException($"attention weights of one head for one prompt are [rows, rows], not [{string.Join(", ", weights.shape)}]", nameof(weights));
        var size = (int)weights.shape[0];
        double[] values;
        using (torch.NewDisposeScope())
            values = weights.detach().to(torch.ScalarType.Float64).cpu().data<double>().ToArray();
        var grid = new double[size, size];
        for (var i = 0; i < size; i++)
            for (var j = 0; j < size; j++) grid[i, j] = values[i * size + j];

        var plot = new Plot();
        FigureStyle.Apply(plot);
        var map = plot.Add.Heatmap(grid);   // draws row 0 at the top, at y = size - 1
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        var rowTicks = new ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < size; i += 2) rowTicks.AddMajor(size - 1 - i, i.ToString());
        plot.Axes.Left.TickGenerator = rowTicks;
        plot.Add.ColorBar(map);
        plot.Title(title);
        plot.XLabel("row attended to");
        plot.YLabel("row attending");
        return plot;
    }
}
