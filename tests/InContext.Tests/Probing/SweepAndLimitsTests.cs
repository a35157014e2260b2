using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Reports;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Probing;

/// <summary>Sweeps of one shift, errors relative to predicting 0, and the limitation map.</summary>
public class SweepAndLimitsTests
{
    static readonly EvaluationSettings Few = new(NumExamples: 64);

    [Theory]
    [InlineData("scale_x", "0.25:4:5", new[] { 0.25, 0.5, 1, 2, 4 })]
    [InlineData("noise", "0:1:5", new[] { 0, 0.25, 0.5, 0.75, 1 })]
    [InlineData("points", "7:9:3", new[] { 7.0, 8, 9 })]
    [InlineData("n_dims", "4:1:4", new[] { 4.0, 3, 2, 1 })]
    [InlineData("bias", "1.5", new[] { 1.5 })]
    public void Ranges_are_spaced_as_their_shift_calls_for(string parameter, string text, double[] expected) =>
        Assert.Equal(expected, ShiftSweep.Parse(parameter, text).Values.Select(v => Math.Round(v, 4)));

    [Theory]
    [InlineData("scale_x", "0:4:5", "a range of scales runs between positive numbers")]
    [InlineData("scale_x", "1:4", "expected a number, or start:end:count")]
    [InlineData("noise", "0:1:1", "count must be a whole number from 2 to 100")]
    [InlineData("noise", "0:x:3", "end is not a number")]
    [InlineData("bias", "high", "expected a number, or start:end:count")]
    public void Bad_ranges_are_refused_in_one_line_naming_the_parameter(string parameter, string text, string says)
    {
        var e = Assert.Throws<ParameterException>(() => ShiftSweep.Parse(parameter, text));
        Assert.Equal(parameter, e.Parameter);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void A_sweeps_points_equal_single_probes_at_the_same_values()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var sweep = ShiftSweep.Parse("scale_x", "0.5:2:3");
        var swept = sweep.Run(run, new ProbeOptions(), Few);
        foreach (var (value, result) in swept)
        {
            var single = Probe.Run(run, new ProbeOptions(ScaleX: value), Few, withZero: true);
            Assert.Equal(single.Evaluation.Name, result.Evaluation.Name);
            foreach (var (model, stats) in single.Errors) Assert.Equal(stats.Mean, result.Errors[model].Mean);
        }
    }

    [Fact]
    public void Relative_to_zero_divides_by_predicting_0s_error_under_the_same_shift()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var plain = Probe.Run(run, new ProbeOptions(), Few, withZero: true);
        var scaled = Probe.Run(run, new ProbeOptions(ScaleY: 3), Few, withZero: true);
        // predicting 0 errs 9 times as much under outputs scaled by 3, and so does least squares: relative to it, nothing changed
        Assert.Equal(9.0, scaled.Errors["zero"].Mean[1] / plain.Errors["zero"].Mean[1], 3);
        var settings = plain.Settings("r").WithRelativeToZero();
        var before = ErrorCurve.ForEvaluation(plain.Errors, settings).Single(c => c.ModelId == "least_squares").Mean;
        var after = ErrorCurve.ForEvaluation(scaled.Errors, scaled.Settings("r").WithRelativeToZero()).Single(c => c.ModelId == "least_squares").Mean;
        Assert.Equal(before.Select(v => Math.Round(v, 6)), after.Select(v => Math.Round(v, 6)));
        Assert.DoesNotContain(ErrorCurve.ForEvaluation(plain.Errors, settings), c => c.ModelId == "zero");
        Assert.Equal("squared error relative to predicting 0", settings.ValueLabel);
        // the paper's normalisation instead shows the shift as 9 times the error
        var paper = ErrorCurve.ForEvaluation(scaled.Errors, scaled.Settings("r")).Single(c => c.ModelId == "zero").Mean;
        Assert.InRange(paper[1], 9 * 0.5, 9 * 1.5);
    }

    [Fact]
    public void A_probe_figure_reaches_every_point_it_evaluated()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var longer = Probe.Run(run, new ProbeOptions(Points: ProbingRun.NPositions), Few);
        // trained on 7 points in d = 4: the paper's range would stop at 2d + 1 = 9 positions; these prompts have 9 points too, so ask more of a small d
        Assert.Equal(ProbingRun.NPositions, longer.Settings("r").MaxPositions);
        var fewerDims = Probe.Run(run, new ProbeOptions(Points: ProbingRun.NPositions, NDims: 2), Few);
        Assert.Equal(ProbingRun.NPositions, fewerDims.Settings("r").MaxPositions);   // 2·2 + 1 = 5 would hide positions 5 to 8
    }

    [Fact]
    public void The_limitation_map_measures_every_shift_and_writes_its_figures_and_table()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var map = LimitationMap.Run(run, new EvaluationSettings(NumExamples: 32));
        Assert.Equal(["scale_x", "scale_y", "noise", "bias", "points", "n_dims", "skew", "off_span"], map.Select(m => m.Range.Sweep.Parameter));
        Assert.All(map, m => Assert.All(m.Points, p => Assert.True(double.IsFinite(p.TransformerAtD) && double.IsFinite(p.BestAt2D))));
        var dir = TestPaths.TempDir();
        var files = LimitationMap.Write(map, ProbingRun.NDims, run.Name, dir);
        Assert.Equal(map.Count + 3, files.Count);   // a figure per shift, the summary, limits.txt, limits.csv
        Assert.All(files.Where(f => f.EndsWith(".png")), f => Assert.Equal([0x89, (byte)'P'], File.ReadAllBytes(f).Take(2)));
        var table = File.ReadAllLines(Path.Combine(dir, "limits.txt"));
        Assert.Equal(map.Count + 2, table.Length);   // the heading, a row per shift, the errors without a shift
        Assert.StartsWith("shift", table[0]);
        Assert.StartsWith("Without a shift", table[^1]);
    }

    /// <summary>A console table's rows of cells (the header first), from the lines drawn with │.</summary>
    internal static List<string[]> TableRows(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith('│')).Select(l => l.Trim().Trim('│').Split('│').Select(c => c.Trim()).ToArray()).ToList();

    /// <summary>The cell of column <paramref name="header"/> in the row whose first cell is <paramref name="row"/>.</summary>
    internal static string Cell(List<string[]> rows, string row, string header) => rows.Single(r => r[0] == row)[Array.IndexOf(rows[0], header)];

    [Fact]
    public void Cli_sweep_heads_each_column_with_the_k_its_values_are_at()
    {
        // d = 4 on 7-point prompts: "after 2d" can only be read at the last position, k = 6 (it was headed @8)
        var (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--scale-x", "0.5:2:3", "--examples", "32");
        Assert.True(code == 0, stderr);
        var sweep = TableRows(stdout);
        Assert.Equal(["--scale-x", "transformer @4", "least squares @4", "best classical @4", "transformer @6", "least squares @6", "best classical @6"], sweep[0]);
        // the values are those at k = 6: the single probe's, relative to predicting 0 as the sweep's are
        (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--scale-x", "2", "--examples", "32", "--k", "6", "--relative-to-zero");
        Assert.True(code == 0, stderr);
        Assert.Equal(Cell(TableRows(stdout), "Transformer", "6"), Cell(sweep, "2", "transformer @6"));
        // a sweep of prompt lengths reads "2d" at each row's last position (6, 7, 8) and says so
        (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--points", "7:9:3", "--examples", "32");
        Assert.True(code == 0, stderr);
        Assert.Equal(["--points", "transformer @4", "least squares @4", "best classical @4", "transformer @8 or last", "least squares @8 or last", "best classical @8 or last"], TableRows(stdout)[0]);
    }

    [Fact]
    public void Cli_sweep_shows_the_k_asked_for()
    {
        // --k was ignored by a sweep: only @d and @2d, where the off-span shift says nothing (d examples span R^d)
        var figure = Path.Combine(TestPaths.TempDir(), "sweep.svg");
        var (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--off-span", "0:1:3", "--k", "4,1", "--examples", "32", "--plot", figure);
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);   // Skia's SVG canvas wrote a line per dashed line drawn
        var rows = TableRows(stdout);
        // the figure draws the table's columns, a panel each (it drew d and 2d whatever --k said)
        var titles = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(figure), @"after \d+ examples?").Select(m => m.Value).Distinct().ToList();
        Assert.Equal(["after 1 example", "after 4 examples"], titles);
        Assert.Equal(["--off-span", "transformer @1", "least squares @1", "best classical @1", "transformer @4", "least squares @4", "best classical @4"], rows[0]);
        // one example: least squares is exact on a query in its span, and predicts 0 for one orthogonal to it; after d it is exact either way
        Assert.Equal("0.000", Cell(rows, "0", "least squares @1"));
        Assert.Equal("1.000", Cell(rows, "1", "least squares @1"));
        Assert.Equal("0.000", Cell(rows, "1", "least squares @4"));
    }

    [Fact]
    public void A_sweep_figure_with_an_odd_number_of_panels_fills_its_last_cell_white()
    {
        // three panels in a 2-column grid: the fourth cell was transparent (PNG) or black (SVG)
        var figure = Path.Combine(TestPaths.TempDir(), "sweep.png");
        var (code, _, stderr) = Cli.Run("probe", ProbingRun.Dir, "--scale-x", "0.5:2:2", "--k", "1,2,3", "--examples", "32", "--plot", figure);
        Assert.True(code == 0, stderr);
        using var image = Reports.Pixels.DecodePng(figure);
        Assert.All(Reports.Pixels.Region(image, 0.6, 0.6, 0.9, 0.9), p => Assert.Equal(SkiaSharp.SKColors.White, p));
        Assert.True(Reports.Pixels.Variance(image, 0.1, 0.6, 0.4, 0.9) > 0, "the third panel is drawn");
    }

    [Fact]
    public void A_sweeps_table_has_the_same_k_in_every_row()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var swept = ShiftSweep.Parse("points", "7:9:3").Run(run, new ProbeOptions(), new EvaluationSettings(NumExamples: 16));
        // 'all' reaches the shortest prompts' positions (7 points: k = 0 to 6) in every row
        Assert.All(ShiftErrors.Table(swept, ProbingRun.NDims, ExampleColumns.All), row => Assert.Equal([0, 1, 2, 3, 4, 5, 6], row.Select(e => e.K)));
        Assert.Equal("k", Assert.Throws<ParameterException>(() => ShiftErrors.Table(swept, ProbingRun.NDims, ExampleColumns.Parse("7"))).Parameter);
        // without columns, d and 2d, each row's 2d read at its last position: as the limitation map reads it
        var telling = ShiftErrors.Table(swept, ProbingRun.NDims, null);
        Assert.Equal([[4, 6], [4, 7], [4, 8]], telling.Select(r => r.Select(e => e.K).ToArray()));
        var point = ShiftPoint.From(swept[1].Value, swept[1].Result, ProbingRun.NDims);
        Assert.Equal(point.TransformerAt2D, telling[1][1].Transformer);
        Assert.Equal(ShiftErrors.At(swept[1].Result, 7), telling[1][1]);
    }

    [Fact]
    public void The_extrapolation_config_lets_the_map_sweep_longer_prompts_and_more_dims_than_training()
    {
        // The quickstart has n_positions 11 = its points and n_dims 5 = its dims: nothing beyond training to sweep.
        Assert.DoesNotContain(LimitationMap.Ranges(RunConfig.Quickstart()), r => r.Sweep.Parameter == "points");
        var ranges = LimitationMap.Ranges(RunConfig.Load(TestPaths.Conf("extrapolation.yaml")));
        var points = ranges.Single(r => r.Sweep.Parameter == "points");
        Assert.Equal((11.0, 41.0, 11.0), (points.Sweep.Values.Min(), points.Sweep.Values.Max(), points.Identity));
        var dims = ranges.Single(r => r.Sweep.Parameter == "n_dims");
        Assert.Equal([10.0, 8, 6, 5, 3, 1], dims.Sweep.Values);   // through the 5 trained dims, its point without shift
        Assert.Equal(5, dims.Identity);
    }

    [Fact]
    public void Where_it_breaks_walks_away_from_no_shift_on_each_side()
    {
        ShiftPoint P(double v, double t, double best) => new(v, t, t, 0, 0, best, "b", best, "b");
        var range = new ShiftRange("input scale", new ShiftSweep("scale_x", [0.25, 0.5, 1, 2, 4]), 1);
        var m = new ShiftMeasurement(range, [P(0.25, 0.9, 0.1), P(0.5, 0.15, 0.1), P(1, 0.1, 0.1), P(2, 0.3, 0.1), P(4, 0.9, 0.1)]);
        Assert.Equal("at 0.25 and below; at 2 and above", m.BreaksAt(atTwiceD: true));
        var solved = new ShiftMeasurement(range, [P(0.25, 0.04, 0.0), P(1, 0.01, 0.0), P(4, 0.04, 0.0)]);
        Assert.Equal("not within 0.25–4", solved.BreaksAt(atTwiceD: false));   // below 5% of predicting 0 counts as solved
        var broken = new ShiftMeasurement(range, [P(1, 0.5, 0.1)]);
        Assert.Equal("already without shift", broken.BreaksAt(atTwiceD: false));
    }

    [Fact]
    public void The_map_leads_with_where_the_transformers_own_error_doubles_and_states_the_unshifted_errors_once()
    {
        // On noiseless linear data least squares is exact after d examples, so every comparison
        // column read "already at ... (no shift)" and only the last column informed.
        ShiftPoint P(double v, double t) => new(v, t, t, 0, 0, 1e-12, "least_squares", 1e-12, "least_squares", 5, 10);
        var scale = new ShiftMeasurement(new ShiftRange("input scale", new ShiftSweep("scale_x", [0.5, 1, 2, 4]), 1), [P(0.5, 0.06), P(1, 0.054), P(2, 0.12), P(4, 0.4)]);
        var bias = new ShiftMeasurement(new ShiftRange("input bias", new ShiftSweep("bias", [0, 1, 2]), 0), [P(0, 0.054), P(1, 0.07), P(2, 0.09)]);
        var lines = LimitationMap.Table([scale, bias], nDims: 5).TrimEnd('\n').Split('\n');
        var columns = System.Text.RegularExpressions.Regex.Split(lines[0], "  +");
        Assert.Equal(["shift", "range", "own error after 10 doubles", "> 2 × best classical after 5 examples", "> 2 × best classical after 10"], columns);
        Assert.Equal(["input scale", "0.5–4", "at 2 and above", "already without shift", "already without shift"], System.Text.RegularExpressions.Regex.Split(lines[1], "  +"));
        Assert.Equal(["input bias", "0–2", "not within 0–2", "already without shift", "already without shift"], System.Text.RegularExpressions.Regex.Split(lines[2], "  +"));
        Assert.Equal("Without a shift, after 5 and 10 examples: transformer 0.054 and 0.054, best classical 0.000 (least_squares) and 0.000 (least_squares).", lines[3]);
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void The_tables_heading_names_every_k_its_rows_were_read_at()
    {
        // d = 3, trained on prompts of 5 points: 2d = 6 examples do not fit, so those prompts are
        // read at their last position (k = 4); the points sweep's longer prompts reach 6.
        ShiftPoint P(double v, int kd, int k2d) => new(v, 0.1, 0.1, 0, 0, 0.1, "b", 0.1, "b", kd, k2d);
        var scale = new ShiftMeasurement(new ShiftRange("input scale", new ShiftSweep("scale_x", [1, 2]), 1), [P(1, 3, 4), P(2, 3, 4)]);
        var points = new ShiftMeasurement(new ShiftRange("points per prompt", new ShiftSweep("points", [5, 7]), 5), [P(5, 3, 4), P(7, 3, 6)]);
        var heading = LimitationMap.Table([scale, points], nDims: 3).Split('\n')[0];
        Assert.Contains("> 2 × best classical after 3 examples", heading);
        Assert.Contains("> 2 × best classical after 4–6 (all of a shorter prompt)", heading);
        Assert.Contains("own error after 4–6 (all of a shorter prompt) doubles", heading);
        Assert.Contains("own error after 4 doubles", LimitationMap.Table([scale], nDims: 3).Split('\n')[0]);   // one k: no range
    }
}
