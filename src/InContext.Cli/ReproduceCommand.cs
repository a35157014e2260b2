using System.CommandLine;
using System.Diagnostics;
using InContext.Evaluation;
using InContext.Findings;
using InContext.Reports;
using InContext.Training;
using Spectre.Console;
using InContext.Storage;

namespace InContext.Cli;

static class ReproduceCommand
{
    public static Command Create()
    {
        var only = new Option<string[]>("--only") { Description = $"Only these findings: {string.Join(", ", PaperFindings.All.Select(f => f.Name))}.", AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--out") { Description = "Folder of the experiments, the report and the summary.", DefaultValueFactory = _ => "reproduce" };
        var device = Devices.Option();
        var cmd = new Command("reproduce", "The paper's four findings at CPU scale: trains one experiment per finding (conf/reproduce), evaluates it against its baselines, "
                                           + "and writes a report and a summary of which findings hold. A second call continues where the first stopped.")
            { only, outDir, device };
        cmd.SetAction(p =>
        {
            var findings = Lists.Split(p.GetValue(only)) is { } names ? names.Select(PaperFindings.Get).ToList() : PaperFindings.All.ToList();
            var dir = Path.GetFullPath(p.GetValue(outDir)!);
            AtomicFile.EnsureWritable(Path.Combine(dir, "summary.md"));
            var dev = Devices.Parse(p.GetValue(device));
            for (var i = 0; i < findings.Count; i++)
            {
                var e = new Experiment(findings[i], dir);
                var title = $"[{i + 1}/{findings.Count}] {e.Finding.Name}";
                AnsiConsole.MarkupLineInterpolated($"[bold]{title}[/]: {e.Finding.Claim}");
                if (!e.Trained)
                {
                    var clock = Stopwatch.StartNew();
                    TrainingOutcome outcome;
                    using (var trainer = new Trainer(e.Config, e.Run, dev))
                    {
                        if (trainer.NextStep > 0) Console.WriteLine($"  resuming at step {trainer.NextStep} of {e.Config.Training.TrainSteps}");
                        outcome = ConsoleProgress.Train(trainer, null, title);
                    }
                    e.AddTime(clock.Elapsed.TotalSeconds, 0);
                    if (outcome != TrainingOutcome.Finished)
                        return outcome == TrainingOutcome.Terminated ? ExitCodes.Terminated : ExitCodes.Interrupted;
                }
                if (!e.Evaluated)
                {
                    var clock = Stopwatch.StartNew();
                    ConsoleTables.EvaluateRun(e.Run, new EvaluationRequest(Recompute: true), dev, quiet: true);
                    RunPlots.Write(e.Run);
                    e.AddTime(0, clock.Elapsed.TotalSeconds);
                }
                ConsoleTables.Print(RunEvaluation.LoadMetrics(e.Run), e.Settings, ["standard"]);
            }
            var markdown = Reproduction.WriteSummary(dir);
            Console.WriteLine();
            Console.Write(markdown);
            Console.WriteLine($"Report: {Path.Combine(dir, "report.html")}; summary: {Path.Combine(dir, "summary.md")}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
