using System.Globalization;
using InContext.Models;
using InContext.Reports;
using InContext.Storage;
using ScottPlot;

namespace InContext.Identification;

/// <summary>One line of an identification figure: its legend, colour, values (NaN: no point) and pattern.</summary>
public sealed record FigureLine(string Label, Color Color, double[] Values, LinePattern Pattern);

/// <summary>
/// The figures of <c>icl identify</c>: SPD to each learner family against k (the closest member of
/// each family at each k, beside the model's own error), ILWD against k, the R² of the model's linear
/// fit against k, and R² against a shift's strength; each written with its numbers beside it.
/// </summary>
public static class IdentificationFigures
{
    static readonly Color ModelColor = ModelPalette.For(InContextTransformer.Id);

    /// <summary>SPD of each family's closest member against k, with the model's own error dashed (log scale).</summary>
    public static Plot Spd(IdentificationResult result, string title)
    {
        var lines = Families(result, ilwd: false).Append(new FigureLine($"model's own {result.MetricName}", ModelColor, result.ModelError, LinePattern.Dashed));
        return Build($"{title}: squared prediction difference", ErrorFigure.XLabel, $"SPD to the model (÷ {Num(result.Normaliser)}, log scale)", Ks(result), lines.ToList(), log: true);
    }

    /// <summary>ILWD of each family's closest member against k (log scale); null when ILWD was not measured.</summary>
    public static Plot? Ilwd(IdentificationResult result, string title) => result.RSquared is null ? null
        : Build($"{title}: implicit linear weight difference", ErrorFigure.XLabel, $"|ŵ_model − w_learner|² (÷ {Num(result.Normaliser)}, log scale)",
            Ks(result), Families(result, ilwd: true).ToList(), log: true);

    /// <summary>The R² of the model's linear fit against k; null when not measured.</summary>
    public static Plot? RSquared(IdentificationResult result, string title) => result.RSquared is not { } r2 ? null
        : Build($"{title}: how linear the in-context function is", ErrorFigure.XLabel, "adjusted R² of the linear fit", Ks(result),
            [new FigureLine("model", ModelColor, r2, LinePattern.Solid)], log: false, top: 1.05);

    /// <summary>
    /// R² against the strength of a swept shift, a line per number of examples in <paramref name="ks"/>;
    /// a logarithmic strength axis when <paramref name="logarithmic"/>.
    /// </summary>
    public static Plot RSquaredSweep(string title, string strengthLabel, IReadOnlyList<(double Value, IdentificationResult Result)> sweep,
        IReadOnlyList<int> ks, bool logarithmic)
    {
        var strengths = sweep.Select(s => s.Value).ToArray();
        var lines = ks.Select((k, i) => new FigureLine($"after {k} example{(k == 1 ? "" : "s")}", ModelPalette.ForUnknownIds[i % ModelPalette.ForUnknownIds.Count],
            sweep.Select(s => s.Result.RSquared is { } r && k < r.Length ? r[k] : double.NaN).ToArray(), LinePattern.Solid)).ToList();
        return Build($"{title}: how linear the in-context function is", strengthLabel, "adjusted R² of the linear fit", strengths, lines,
            log: false, top: 1.05, logX: logarithmic);
    }

    /// <summary>
    /// Writes the figures of <paramref name="result"/> (<c>spd.png</c>, and for linear tasks <c>ilwd.png</c>
    /// and <c>r2.png</c>), its numbers (<c>identify.csv</c>) and its table (<c>identify.md</c>) into
    /// <paramref name="outDir"/>; returns the files.
    /// </summary>
    public static IReadOnlyList<string> Write(IdentificationResult result, string runName, string outDir)
    {
        AtomicFile.EnsureFolderWritable(outDir);
        var files = new List<string>();
        void Save(Plot? plot, string name)
        {
            if (plot is null) return;
            var path = Path.Combine(outDir, name);
            FigureExport.Save(new Multiplot(plot), path);
            files.Add(path);
        }
        Save(Spd(result, runName), "spd.png");
        Save(Ilwd(result, runName), "ilwd.png");
        Save(RSquared(result, runName), "r2.png");
        var csv = Path.Combine(outDir, "identify.csv");
        AtomicFile.WriteAllText(csv, result.Csv());
        var table = Path.Combine(outDir, "identify.md");
        AtomicFile.WriteAllText(table, result.Table(runName).Markdown(withCaption: true));
        return [.. files, csv, table];
    }

    static double[] Ks(IdentificationResult result) => Enumerable.Range(0, result.Positions).Select(k => (double)k).ToArray();

    static IEnumerable<FigureLine> Families(IdentificationResult result, bool ilwd) =>
        result.BestOfFamilies(ilwd).Select(f => new FigureLine(f.Family,
            ModelPalette.For(result.Learners.First(l => l.Family == f.Family).Id), f.Values, LinePattern.Solid));

    static string Num(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>
    /// Lines against <paramref name="xs"/>. On a log axis values are drawn as their log10 with ticks at
    /// the decades (ScottPlot draws no log axis of its own); values at or below 0 sit at the floor, 1e-12.
    /// <paramref name="logX"/> draws xs on a log2 axis; <paramref name="xTicks"/> labels each x.
    /// </summary>
    public static Plot Build(string title, string xLabel, string yLabel, double[] xs, IReadOnlyList<FigureLine> lines, bool log,
        double? top = null, bool logX = false, IReadOnlyList<string>? xTicks = null)
    {
        var plot = new Plot();
        FigureStyle.Apply(plot);
        if (!logX && xs.All(x => x == Math.Round(x))) FigureStyle.IntegerXTicks(plot);
        const double Floor = 1e-12;
        double Y(double v) => log ? Math.Log10(Math.Max(v, Floor)) : v;
        var px = logX ? xs.Select(Math.Log2).ToArray() : xs;
        foreach (var line in lines)
        {
            var points = px.Zip(line.Values, (x, v) => (x, v)).Where(p => !double.IsNaN(p.v)).ToArray();
            if (points.Length == 0) continue;
            var scatter = plot.Add.ScatterLine(points.Select(p => p.x).ToArray(), points.Select(p => Y(p.v)).ToArray(), line.Color);
            scatter.LineWidth = 2.5f;
            scatter.MarkerSize = 5;
            scatter.LinePattern = line.Pattern;
            scatter.LegendText = line.Label;
        }
        if (logX || xTicks is not null) plot.Axes.Bottom.SetTicks(px, xTicks?.ToArray() ?? xs.Select(x => x.ToString("G3", CultureInfo.InvariantCulture)).ToArray());
        var finite = lines.SelectMany(l => l.Values).Where(double.IsFinite).Select(Y).ToList();
        var (low, high) = finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max());
        if (log)
        {
            var (from, to) = ((int)Math.Floor(low), (int)Math.Ceiling(Math.Max(high, low + 1)));
            var decades = Enumerable.Range(from, to - from + 1).Select(e => (double)e).ToArray();
            plot.Axes.Left.SetTicks(decades, decades.Select(e => $"1e{e:0}").ToArray());
            plot.Axes.SetLimitsY(from - 0.1, to + 0.1);
        }
        else plot.Axes.SetLimitsY(Math.Min(low, 0) - 0.05, top ?? high * 1.1);
        var span = px.Length < 2 ? 1 : px.Max() - px.Min();
        plot.Axes.SetLimitsX(px.Min() - 0.03 * span, px.Max() + 0.03 * span);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);   // outside the data: the lines cross the whole panel
        return plot;
    }
}
