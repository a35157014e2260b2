using InContext.Evaluation;
using InContext.Reports;
using InContext.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace InContext.Cli;

/// <summary>Evaluation on the console: a progress bar while it runs, then tables of errors.</summary>
static class ConsoleTables
{
    public static MetricsFile EvaluateRun(RunFolder run, EvaluationRequest request, Device device, bool quiet = false)
    {
        var config = run.LoadConfig();
        var problem = RunEvaluation.ProblemOf(config);
        var metrics = WithProgress(report => RunEvaluation.EvaluateRun(run, request, device, report));
        if (quiet) return metrics;
        AnsiConsole.MarkupLineInterpolated($"Wrote {(request.Step is { } s ? Path.Combine(run.Path, $"metrics_{s}.json") : run.MetricsPath)}");
        Print(metrics, Settings(problem, run.Name), request.Strategies);
        var figures = RunPlots.Write(run);
        AnsiConsole.MarkupLineInterpolated($"Figures: {run.PlotsPath} ({figures.Count} files)");
        return metrics;
    }

    public static MetricsFile EvaluateBaselines(RunEvaluation.Problem problem, EvaluationRequest request, string path)
    {
        var metrics = WithProgress(report => RunEvaluation.EvaluateBaselines(problem, request, path, report));
        AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(path)}");
        Print(metrics, Settings(problem, problem.Task), request.Strategies);
        return metrics;
    }

    static PlotSettings Settings(RunEvaluation.Problem problem, string name) => RunPlots.SettingsOf(problem.Task, problem.TaskKwargs, problem.NDims, name);

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

    /// <summary>
    /// One table per evaluation: the normalised error at telling numbers of examples
    /// (1, d/2, d, 2d, the last), best per column in bold.
    /// </summary>
    public static void Print(MetricsFile metrics, PlotSettings settings, IReadOnlyList<string>? only = null, IReadOnlyList<int>? columns = null)
    {
        foreach (var (evaluation, models) in metrics.Evaluations)
        {
            if (only != null && only.Count > 0 && !only.Contains(evaluation)) continue;
            var n = models.Values.First().Mean.Length;
            var d = settings.NDims;
            var ks = (columns ?? new[] { 1, d / 2, d, 2 * d, n - 1 }).Where(k => k >= 0 && k < n).Distinct().Order().ToList();
            var table = new Table().Title($"{evaluation}: squared error / {settings.Normaliser:G3} by number of in-context examples");
            table.AddColumn("model");
            foreach (var k in ks) table.AddColumn(new TableColumn(k.ToString()).RightAligned());
            // lower is better for squared error, higher for accuracy (linear classification)
            var sign = settings.Task == "linear_classification" ? -1 : 1;
            var best = ks.ToDictionary(k => k, k => models.Values.Min(s => sign * s.Mean[k]) * sign);
            foreach (var (id, stats) in models)
                table.AddRow(new[] { Markup.Escape(ModelNames.Display(id)) }.Concat(ks.Select(k =>
                {
                    var text = (stats.Mean[k] / settings.Normaliser).ToString("F3");
                    return stats.Mean[k] == best[k] ? $"[bold]{text}[/]" : text;
                })).ToArray());
            AnsiConsole.Write(table);
        }
    }
}
