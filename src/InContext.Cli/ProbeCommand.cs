using System.CommandLine;
using System.Globalization;
using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Reports;
using Spectre.Console;
using InContext.Storage;

namespace InContext.Cli;

static class ProbeCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string[]>("run-dir") { Description = "A run folder; several, or a pack's folder (its seeds), give their mean beside each seed.", Arity = ArgumentArity.OneOrMore };
        var shifts = new ShiftOptions();
        var examples = new Option<int>("--examples") { Description = "Prompts to evaluate.", DefaultValueFactory = _ => 1280 };
        var models = new Option<string[]>("--models") { Description = "Models, by id (default: the transformer and the probed task's baselines).", AllowMultipleArgumentsPerToken = true };
        var plot = new Option<string?>("--plot") { Description = "Write the figure to this .png or .svg file." };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompts (and of the scale-x rotation).", DefaultValueFactory = _ => 0 };
        var step = new Option<int?>("--step") { Description = "Probe model_<step>.pt instead of state.pt." };
        var device = Devices.Option();
        var k = Lists.ExamplesOption();
        var zero = Lists.RelativeToZeroOption();
        var cmd = new Command("probe", "Evaluate a run's transformer and the baselines under one distribution shift given here; prints the error table. "
                                       + "One shift given as START:END:COUNT (e.g. --scale-x 0.25:4:9) is swept: a probe at each value, errors relative to predicting 0 after d and 2d examples (or those of --k). "
                                       + "Scales and skew are spaced geometrically (0.25:4:5 is 0.25, 0.5, 1, 2, 4), the others evenly.")
            { runDir, shifts.Task, shifts.Strategy, examples, models, plot, seed, step, device, k, zero };
        shifts.AddSwept(cmd);
        cmd.SetAction(p =>
        {
            if (p.GetValue(examples) < 1) throw new ParameterException("examples", $"{p.GetValue(examples)}: must be at least 1");
            if (p.GetValue(plot) is { } figure) Probe.PlotFormat(figure);
            var columns = Lists.Examples(p.GetValue(k));
            var (shift, range) = shifts.Parse(p, "a probe");
            var runs = Packs.Resumed(p.GetValue(runDir)!) ?? [new RunFolder(p.GetValue(runDir)![0])];
            var run = runs[0];
            var name = Packs.Name(runs);
            var settings = new EvaluationSettings(p.GetValue(examples), Seed: p.GetValue(seed));
            var device0 = Devices.Parse(p.GetValue(device));
            if (range is not null)
            {
                columns?.Within(range.FewestPoints(run.LoadConfig(), shift, settings.Seed));   // refused before any work
                Sweep(runs, range, shift, settings, Lists.Split(p.GetValue(models)), device0, p.GetValue(step), p.GetValue(plot), columns);
                return ExitCodes.Ok;
            }
            columns?.Within(Probe.Build(run.LoadConfig(), shift, settings.Seed).problem.NPoints);   // refused before any work
            var result = ConsoleTables.WithProgress(report => Probe.Run(runs, shift, settings, Lists.Split(p.GetValue(models)),
                device0, p.GetValue(step), report, p.GetValue(zero)));
            var problem = result.Problem;
            Console.WriteLine($"Probe {result.Evaluation.Name} of {string.Join(", ", runs.Select(r => r.Path))}: {problem.Task.Describe()}, {problem.NPoints} points, {result.ActiveDims}/{problem.NDims} dims active, {settings.NumExamples} prompts"
                              + (runs.Count > 1 ? $"; the mean of the {runs.Count} runs, then each" : ""));
            var shown = p.GetValue(zero) ? result.Settings(name).WithRelativeToZero() : result.Settings(name);
            ConsoleTables.Print(result.Metrics, shown, columns: columns);
            if (p.GetValue(plot) is { } file)
            {
                Probe.WritePlot(result, name, file, shown);
                Console.WriteLine($"Figure: {Path.GetFullPath(file)}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// A probe at each value of one shift: the errors relative to predicting 0 after d and 2d examples,
    /// or after the numbers of examples of <paramref name="columns"/> (<c>--k</c>), as a table; optionally a figure with a panel per column.
    /// </summary>
    static void Sweep(IReadOnlyList<RunFolder> runs, ShiftSweep sweep, ProbeOptions shift, EvaluationSettings settings, IReadOnlyList<string>? models,
        TorchSharp.torch.Device device, int? step, string? plot, ExampleColumns? columns)
    {
        var d = LimitationMap.TrainedDims(runs[0].LoadConfig());
        var results = ConsoleTables.WithProgress(report => sweep.Run(runs, shift, settings, models, device, step, (_, pr) => report(pr)));
        var rows = ShiftErrors.Table(results, d, columns);
        Console.WriteLine($"Probe sweep of {Failures.Option(sweep.Parameter)} over {sweep.Values.Count} values, {string.Join(", ", runs.Select(r => r.Path))}, {settings.NumExamples} prompts each; errors relative to predicting 0 under each shift"
                          + (runs.Count > 1 ? $"; the transformer's the mean ± sd of the {runs.Count} runs" : "") + ":");
        // Headed by the k the values are at: d and 2d, or the last position of prompts shorter than 2d + 1 points; or those of --k.
        var table = new Table().AddColumn(Failures.Option(sweep.Parameter));
        for (int c = 0; c < rows[0].Count; c++)
        {
            var at = rows.Select(r => r[c].K).Distinct().ToList() is [var k] ? $"@{k}" : $"@{(c == 0 ? d : 2 * d)} or last";
            table.AddColumns($"transformer {at}", $"least squares {at}", $"best classical {at}");
        }
        static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        foreach (var (value, row) in results.Select(r => r.Value).Zip(rows))
            table.AddRow(row.SelectMany(e => new[] { e.TransformerText, F(e.LeastSquares), $"{F(e.Best)} {Markup.Escape(e.BestModel)}" })
                .Prepend(value.ToString("G4", CultureInfo.InvariantCulture)).ToArray());
        AnsiConsole.Write(table);
        if (plot is null) return;
        var label = Failures.Option(sweep.Parameter)[2..];
        LimitationMap.WriteFigure(new ShiftRange(label, sweep, sweep.Values[0]), results.Select(r => r.Value).ToList(), rows, Packs.Name(runs), plot);
        Console.WriteLine($"Figure: {Path.GetFullPath(plot)}");
    }
}
