using InContext.Config;
using InContext.Evaluation;
using InContext.Reports;
using Spectre.Console;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Cli;

/// <summary>Evaluation on the console: a progress bar while it runs, then tables of errors.</summary>
static class ConsoleTables
{
    public static MetricsFile EvaluateRun(RunFolder run, EvaluationRequest request, Device device, bool quiet = false, ExampleColumns? columns = null)
    {
        var config = run.LoadConfig();
        var metrics = WithProgress(report => RunEvaluation.EvaluateRun(run, request, device, report));
        if (quiet) return metrics;
        AnsiConsole.MarkupLineInterpolated($"Wrote {run.MetricsPathFor(request.Step)}");
        var settings = RunPlots.SettingsOf(config, run.Name);
        Print(metrics, request.WithZero ? settings.WithRelativeToZero() : settings, request.Strategies, columns);
        var figures = RunPlots.Write(run, relativeToZero: request.WithZero);
        AnsiConsole.MarkupLineInterpolated($"Figures: {run.PlotsPath} ({figures.Count} files)");
        return metrics;
    }

    /// <summary>Several runs of one problem in one pass (<see cref="RunEvaluation.EvaluateRuns"/>); prints the seeds' mean and each seed, and writes each run's figures.</summary>
    public static IReadOnlyList<MetricsFile> EvaluateRuns(IReadOnlyList<RunFolder> runs, EvaluationRequest request, Device device, bool quiet = false, ExampleColumns? columns = null)
    {
        var configs = runs.Select(r => r.LoadConfig()).ToList();
        var metrics = WithProgress(report => RunEvaluation.EvaluateRuns(runs, request, device, report));
        foreach (var run in runs) RunPlots.Write(run, relativeToZero: request.WithZero);
        if (quiet) return metrics;
        AnsiConsole.MarkupLineInterpolated($"Wrote {string.Join(", ", runs.Select(r => r.MetricsPathFor(request.Step)))}, and each run's figures");
        var settings = RunPlots.SettingsOf(configs[0], string.Join(", ", runs.Select(r => r.Name)));
        AnsiConsole.MarkupLine($"The mean of the {runs.Count} runs, then each (the classical learners saw the same prompts in every run):");
        Print(SeedSpread.Across(metrics, SeedSpread.Labels(configs.Select(c => c.Training.Seed).ToList(), runs.Select(r => r.Name).ToList()), withSeeds: true), request.WithZero ? settings.WithRelativeToZero() : settings, request.Strategies, columns);
        return metrics;
    }

    public static MetricsFile EvaluateBaselines(EvaluationProblem problem, EvaluationRequest request, string path, ExampleColumns? columns = null)
    {
        var metrics = WithProgress(report => RunEvaluation.EvaluateBaselines(problem, request, path, report));
        AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(path)}");
        var settings = PlotSettings.For(problem.Task, problem.NDims, problem.Task.Name);
        Print(metrics, request.WithZero ? settings.WithRelativeToZero() : settings, request.Strategies, columns);
        return metrics;
    }

    /// <summary>Runs an evaluation with a progress bar on a terminal, plain lines otherwise.</summary>
    public static T WithProgress<T>(Func<Action<EvaluationProgress>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
        {
            string? last = null;
            return work(p =>
            {
                if (p.Evaluation != last) Console.WriteLine($"evaluating {p.Evaluation} ({p.Done}/{p.Total} batches)");
                last = p.Evaluation;
            });
        }
        T result = default!;
        AnsiConsole.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("evaluating", maxValue: 1);
                result = work(p =>
                {
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    task.Description = Markup.Escape($"{p.Evaluation} {p.Batch}/{p.Batches}");
                });
            });
        return result;
    }

    /// <summary>A table of text (<see cref="ReportTable"/>) on the console, its caption as the title.</summary>
    public static void Print(ReportTable table)
    {
        var view = new Table().Title(Markup.Escape(table.Caption));
        foreach (var header in table.Header) view.AddColumn(Markup.Escape(header));
        foreach (var row in table.Rows) view.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(view);
    }

    /// <summary>
    /// One table per evaluation (<see cref="ErrorTable"/>, as the report shows it): the normalised
    /// error at telling numbers of examples (1, d/2, d, 2d, the last) or at <paramref name="columns"/>,
    /// the best of each column in bold.
    /// </summary>
    public static void Print(MetricsFile metrics, PlotSettings settings, IReadOnlyList<string>? only = null, ExampleColumns? columns = null)
    {
        var all = settings with { MaxPositions = int.MaxValue };
        foreach (var (evaluation, models) in metrics.Evaluations)
        {
            if (only != null && only.Count > 0 && !only.Contains(evaluation)) continue;
            if (!ErrorCurve.CanShow(models, settings)) continue;
            var curves = ErrorCurve.ForEvaluation(models, all);
            if (curves.Count == 0) continue;
            var table = new ErrorTable(curves, all, columns, withLast: true);
            var view = new Table().Title($"{evaluation}: {settings.ValueTitle} by number of in-context examples");
            view.AddColumn("model");
            foreach (var k in table.Columns) view.AddColumn(new TableColumn(k.ToString()).RightAligned());
            foreach (var curve in table.Curves)
                view.AddRow(new[] { Markup.Escape(ModelDisplay.Name(curve.ModelId)) }.Concat(table.Columns.Select((k, c) =>
                {
                    var text = ErrorTable.Value(curve, k) is { } v ? v.ToString("F3") : "–";
                    return table.IsBest(curve, c) ? $"[bold]{text}[/]" : text;
                })).ToArray());
            AnsiConsole.Write(view);
        }
    }
}
