using System.Globalization;
using System.Text;
using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Reports;
using InContext.Training;
using ScottPlot;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Probing;

/// <summary>One shift of the limitation map: its range, and the strength at which nothing is shifted.</summary>
public sealed record ShiftRange(string Label, ShiftSweep Sweep, double Identity)
{
    /// <summary>Whether figures draw the strength on a log axis (the sweep's values are geometric).</summary>
    public bool Logarithmic => Sweep.IsGeometric;
}

/// <summary>A shift's sweep, as the map measured it.</summary>
public sealed record ShiftMeasurement(ShiftRange Range, IReadOnlyList<ShiftPoint> Points)
{
    /// <summary>
    /// Where the transformer first errs more than twice the best baseline, walking away from no shift
    /// (k = d or 2d); "already without shift" where it does so before anything is shifted (against
    /// a learner that is exact there, as least squares is on noiseless linear data).
    /// </summary>
    public string BreaksAt(bool atTwiceD) => FirstWhere(p => atTwiceD ? p.BreaksAt2D : p.BreaksAtD);

    /// <summary>The point without the shift (at <see cref="ShiftRange.Identity"/>), null when the sweep has none.</summary>
    public ShiftPoint? Unshifted => Points.FirstOrDefault(p => p.Value == Range.Identity);

    /// <summary>
    /// Where the transformer's own error after 2d examples first doubles its error without the shift
    /// (and exceeds <see cref="ShiftPoint.Solved"/>): what the shift does to the learned algorithm
    /// itself, whatever the classical learners do. The map's first column.
    /// </summary>
    public string OwnErrorDoublesAt()
    {
        var unshifted = Unshifted?.TransformerAt2D ?? double.NaN;
        return double.IsFinite(unshifted) ? FirstWhere(p => p.TransformerAt2D > Math.Max(2 * unshifted, ShiftPoint.Solved)) : "no unshifted point";
    }

    string FirstWhere(Func<ShiftPoint, bool> breaks)
    {
        bool Breaks(ShiftPoint p) => breaks(p);
        string Num(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        string? First(IEnumerable<ShiftPoint> walk) => walk.FirstOrDefault(Breaks) is { } p ? Num(p.Value) : null;
        var identity = Range.Identity;
        if (Points.Any(p => p.Value == identity) && Breaks(Points.First(p => p.Value == identity)))
            return "already without shift";
        var below = First(Points.Where(p => p.Value < identity).OrderByDescending(p => p.Value));
        var above = First(Points.Where(p => p.Value > identity).OrderBy(p => p.Value));
        var parts = new List<string>();
        if (below != null) parts.Add($"at {below} and below");
        if (above != null) parts.Add($"at {above} and above");
        return parts.Count > 0 ? string.Join("; ", parts) : $"not within {Num(Points.Min(p => p.Value))}–{Num(Points.Max(p => p.Value))}";
    }
}

/// <summary>
/// Where a run's learned algorithm breaks (<c>icl limits</c>): each shift swept over a range
/// (input and output scale 0.25–4, output noise 0–1, input bias 0–2, prompts longer than training
/// up to n_positions, fewer active dims, input covariance skewed to condition number 100, queries
/// moved off the span of the examples), every point a probe on the seed's prompts; errors after d
/// and 2d examples relative to predicting 0 under the same shift; and, per shift, the strength at
/// which the transformer's own error doubles from its unshifted value, then the strength at which it
/// first errs more than twice the best classical learner (ridge among them under output noise;
/// errors under <see cref="ShiftPoint.Solved"/> of predicting 0's count as solved).
/// </summary>
public static class LimitationMap
{
    /// <summary>
    /// The shifts that apply to the run's task and sizes. Prompt length runs from the points the run
    /// trained on up to n_positions, active dims from 1 up to n_dims through those it trained on:
    /// a run trained on fewer than its model takes is also probed beyond them.
    /// </summary>
    public static IReadOnlyList<ShiftRange> Ranges(RunConfig config)
    {
        var task = config.CreateTask();
        var (d, positions) = (config.Model.NDims, config.Model.NPositions);
        var (dims, trained) = Curriculum.AtLastStep(config.Training);
        var ranges = new List<ShiftRange> { new("input scale", ShiftSweep.Parse("scale_x", "0.25:4:9"), 1) };
        if (task.WithScale(1) is not null) ranges.Add(new("output scale", ShiftSweep.Parse("scale_y", "0.25:4:9"), 1));
        if (task.AcceptsOutputNoise) ranges.Add(new("output noise (std)", ShiftSweep.Parse("noise", "0:1:6"), 0));
        ranges.Add(new("input bias", ShiftSweep.Parse("bias", "0:2:5"), 0));
        if (positions > trained) ranges.Add(new("points per prompt", ShiftSweep.Parse("points", $"{trained}:{positions}:5"), trained));
        if (d > 1)
        {
            var values = ShiftSweep.Parse("n_dims", $"{d}:1:{Math.Min(d, 5)}").Values.Append(dims).Distinct().OrderDescending().ToList();
            ranges.Add(new("active input dims", new ShiftSweep("n_dims", values), dims));
        }
        if (d > 1) ranges.Add(new("input covariance condition number", ShiftSweep.Parse("skew", "1:100:5"), 1));
        ranges.Add(new("query's distance from the examples' span", ShiftSweep.Parse("off_span", "0:1:5"), 0));
        return ranges;
    }

    /// <summary>Sweeps every shift of <see cref="Ranges"/> over the run's transformer and the baselines, with the <paramref name="settings"/> of an evaluation; <paramref name="progress"/> hears each shift's label, strength and batch.</summary>
    public static IReadOnlyList<ShiftMeasurement> Run(RunFolder run, EvaluationSettings settings, Device? device = null,
        Action<string, double, EvaluationProgress>? progress = null) => Run([run], settings, device, progress);

    /// <summary>The map of several runs of one config (a pack's seeds): every point the seeds' mean, with each seed's error beside it; where it breaks is read on the mean.</summary>
    public static IReadOnlyList<ShiftMeasurement> Run(IReadOnlyList<RunFolder> runs, EvaluationSettings settings, Device? device = null,
        Action<string, double, EvaluationProgress>? progress = null)
    {
        var config = runs[0].LoadConfig();
        var d = TrainedDims(config);
        var loaded = Probe.Load(runs, device);
        try
        {
            return Ranges(config).Select(r => new ShiftMeasurement(r,
                r.Sweep.Run(loaded, new ProbeOptions(), settings, progress: (v, p) => progress?.Invoke(r.Label, v, p))
                    .Select(x => ShiftPoint.From(x.Value, x.Result, d)).ToList())).ToList();
        }
        finally { Probe.Unload(loaded); }
    }

    /// <summary>The d of "after d and 2d examples": the active dims the run trained on (n_dims unless its curriculum stops short of them).</summary>
    public static int TrainedDims(RunConfig config) => Curriculum.AtLastStep(config.Training).Dims;

    /// <summary>
    /// The "where it breaks" table as aligned text, one shift a row: first where the transformer's
    /// own error doubles, then where it errs more than twice the best classical learner; under it,
    /// one line with the errors without a shift, which say whether that comparison can inform (it
    /// cannot where the transformer is already more than twice an exact learner).
    /// </summary>
    public static string Table(IReadOnlyList<ShiftMeasurement> map, int nDims)
    {
        var rows = map.Select(m => new[] { m.Range.Label, $"{Fmt(m.Points.Min(p => p.Value))}–{Fmt(m.Points.Max(p => p.Value))}",
            m.OwnErrorDoublesAt(), m.BreaksAt(false), m.BreaksAt(true) }).ToList();
        var all = map.SelectMany(m => m.Points).ToList();
        var (kd, k2d) = all.Count > 0 ? (Examples(all.Select(p => p.KAtD)), After(all.Select(p => p.KAt2D))) : ($"{nDims} examples", $"{2 * nDims}");
        var header = new[] { "shift", "range", $"own error after {k2d} doubles", $"> 2 × best classical after {kd}", $"> 2 × best classical after {k2d}" };
        var lines = rows.Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => lines.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in lines) sb.Append(string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c])))).Append('\n');
        if (map.Select(m => m.Unshifted).FirstOrDefault(p => p is not null) is { } u)
            sb.Append($"Without a shift, after {u.KAtD} and {u.KAt2D} examples: transformer {u.AtD.TransformerText} and {u.At2D.TransformerText}{(u.SeedsAtD is { Count: > 1 } seeds ? $" (the mean ± sd of {seeds.Count} seeds; where it breaks is read on the mean)" : "")}, "
                      + $"best classical {Fmt3(u.BestAtD)} ({u.BestAtDModel}) and {Fmt3(u.BestAt2D)} ({u.BestAt2DModel}).\n");
        return sb.ToString();
    }

    /// <summary>
    /// Writes one figure per shift (two panels: after d and after 2d examples), a summary figure
    /// (every shift after 2d examples), the table (<c>limits.txt</c>) and the numbers (<c>limits.csv</c>)
    /// into <paramref name="outDir"/>; returns the files.
    /// </summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<ShiftMeasurement> map, int nDims, string runName, string outDir)
    {
        var files = new List<string>();
        string Path(string name) => System.IO.Path.Combine(outDir, name);
        foreach (var m in map)
        {
            var file = Path($"limits_{m.Range.Sweep.Parameter}.png");
            WriteFigure(m, runName, file);
            files.Add(file);
        }
        var summaryPanels = map.Select(m => Panel(m.Range.Label, m.Range, m.Points.Select(p => p.Value).ToList(), m.Points.Select(p => p.At2D).ToList())).ToList();
        var summaryFile = Path("limits_summary.png");
        FigureExport.Save(TwoColumns(summaryPanels), summaryFile, "png", 1200, 380 * ((map.Count + 1) / 2));
        files.Add(summaryFile);
        var table = Path("limits.txt");
        AtomicFile.WriteAllText(table, Table(map, nDims));
        files.Add(table);
        // For several seeds the transformer's columns are their mean, and the last two the seeds' standard deviation (empty for one run).
        var csv = new StringBuilder("parameter,strength,transformer_at_d,least_squares_at_d,best_at_d,best_at_d_model,transformer_at_2d,least_squares_at_2d,best_at_2d,best_at_2d_model,transformer_at_d_sd,transformer_at_2d_sd\n");
        static string Sd(ShiftErrors e) => double.IsFinite(e.TransformerSd) ? Fmt(e.TransformerSd) : "";
        foreach (var m in map)
            foreach (var p in m.Points)
                csv.AppendLine(string.Join(",", m.Range.Sweep.Parameter, Fmt(p.Value), Fmt(p.TransformerAtD), Fmt(p.LeastSquaresAtD), Fmt(p.BestAtD), p.BestAtDModel,
                    Fmt(p.TransformerAt2D), Fmt(p.LeastSquaresAt2D), Fmt(p.BestAt2D), p.BestAt2DModel, Sd(p.AtD), Sd(p.At2D)));
        AtomicFile.WriteAllText(Path("limits.csv"), csv.ToString());
        files.Add(Path("limits.csv"));
        return files;
    }

    /// <summary>One shift's figure: two panels, the errors after d and after 2d examples against its strength (png or svg by the file's extension).</summary>
    public static void WriteFigure(ShiftMeasurement m, string runName, string file) =>
        WriteFigure(m.Range, m.Points.Select(p => p.Value).ToList(), m.Points.Select(p => (IReadOnlyList<ShiftErrors>)[p.AtD, p.At2D]).ToList(), runName, file);

    /// <summary>
    /// A sweep's figure: a panel per column of its <paramref name="table"/> (<see cref="ShiftErrors.Table"/>:
    /// after d and 2d examples, or after the numbers asked), each the errors against the shift's
    /// strength at <paramref name="values"/> (png or svg by the file's extension).
    /// </summary>
    public static void WriteFigure(ShiftRange range, IReadOnlyList<double> values, IReadOnlyList<IReadOnlyList<ShiftErrors>> table, string runName, string file)
    {
        var columns = table[0].Count;
        var panels = Enumerable.Range(0, columns).Select(c => Panel(runName, range, values, table.Select(row => row[c]).ToList())).ToList();
        var rows = (columns + 1) / 2;
        FigureExport.Save(TwoColumns(panels), file, Probe.PlotFormat(file), 1200, rows == 1 ? 450 : 380 * rows);
    }

    /// <summary>One panel: the <paramref name="errors"/> at each strength of <paramref name="values"/>, titled "<paramref name="title"/>, after k examples".</summary>
    static Plot Panel(string title, ShiftRange range, IReadOnlyList<double> values, IReadOnlyList<ShiftErrors> errors) =>
        ShiftSweepFigure.Build($"{title}, after {Examples(errors.Select(e => e.K))}", range.Label,
            values.Zip(errors, (v, e) => new ShiftSweepPoint(v, e.Transformer, e.LeastSquares, e.Best,
                e.Seeds?.Min() ?? double.NaN, e.Seeds?.Max() ?? double.NaN)).ToList(), range.Logarithmic);

    /// <summary>
    /// Panels side by side, two to a row. An odd count gets a blank last cell: left empty, it would
    /// be transparent in a PNG and black in an SVG (the SVG canvas's background has no fill).
    /// </summary>
    static Multiplot TwoColumns(IReadOnlyList<Plot> panels)
    {
        var figure = new Multiplot(panels[0]);
        foreach (var panel in panels.Skip(1)) figure.AddPlot(panel);
        if (panels.Count > 2 && panels.Count % 2 == 1)
        {
            var blank = new Plot();
            blank.Axes.Frameless();
            blank.HideGrid();
            figure.AddPlot(blank);
        }
        var rows = (figure.Count() + 1) / 2;
        figure.Layout = rows == 1 ? new ScottPlot.MultiplotLayouts.Columns() : new ScottPlot.MultiplotLayouts.Grid(rows, columns: 2);
        return figure;
    }

    static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
    static string Fmt3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>
    /// How many examples errors were read after, from each point's <paramref name="ks"/>: one number,
    /// or a range where prompts shorter than d or 2d were read at their last position.
    /// </summary>
    static string After(IEnumerable<int> ks)
    {
        var (low, high) = (ks.Min(), ks.Max());
        return low == high ? $"{low}" : $"{low}–{high} (all of a shorter prompt)";
    }

    /// <summary><see cref="After"/> with its noun: "1 example", "10 examples", "4–6 examples (all of a shorter prompt)".</summary>
    static string Examples(IEnumerable<int> ks)
    {
        var (low, high) = (ks.Min(), ks.Max());
        return low == high ? $"{low} example{(low == 1 ? "" : "s")}" : $"{low}–{high} examples (all of a shorter prompt)";
    }

}
