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
        var scale = new Option<string>("--scale") { Description = $"The experiments' scale: {string.Join("; ", Scale.All.Select(s => $"{s.Name}, {s.Description}"))}.", DefaultValueFactory = _ => Scale.Cpu.Name };
        var seeds = new Option<string?>("--seeds") { Description = "The seeds each finding is decided over, trained together as one pack (default 0,1,2; one seed decides nothing, and says so)." };
        var device = Devices.Option();
        var graphs = Devices.CudaGraphsOption();
        var cmd = new Command("reproduce", "The paper's four findings: trains one experiment per finding (conf/reproduce/SCALE) over several seeds, evaluates each against its baselines, "
                                           + "and writes a report and a summary of which findings hold, decided over the seeds by rules fixed before any result. A second call continues where the first stopped.")
            { only, outDir, scale, seeds, device, graphs };
        cmd.SetAction(p =>
        {
            var findings = Lists.Split(p.GetValue(only)) is { } names ? names.Select(PaperFindings.Get).ToList() : PaperFindings.All.ToList();
            var at = Scale.Get(p.GetValue(scale)!);
            var seedList = Packs.ParseSeeds(p.GetValue(seeds)) ?? Scale.DefaultSeeds;
            SeedPacks.Members(at.Config(findings[0].Name, "."), seedList);   // refuses bad seeds before any work
            var dir = Path.GetFullPath(p.GetValue(outDir)!);
            AtomicFile.EnsureWritable(Path.Combine(dir, "summary.md"));
            var dev = Devices.Parse(p.GetValue(device));
            var experiments = findings.Select(f => new Experiment(f, dir, at, seedList)).ToList();   // a folder of another scale is refused before any work
            for (var i = 0; i < experiments.Count; i++)
            {
                var e = experiments[i];
                var title = $"[{i + 1}/{experiments.Count}] {e.Finding.Name}";
                AnsiConsole.MarkupLineInterpolated($"[bold]{title}[/]: {e.Finding.Claim} ({at.Name} scale, seeds {string.Join(", ", seedList)})");
                if (!e.Trained)
                {
                    var clock = Stopwatch.StartNew();
                    var outcome = TrainingOutcome.Finished;
                    var total = e.Config.Training.TrainSteps;
                    var done = SeedPacks.Train(e.Runs, total, trainer =>
                    {
                        if (trainer.NextStep > 0) Console.WriteLine($"  resuming at step {trainer.NextStep} of {total}");
                        return (outcome = ConsoleProgress.Train(trainer, total, title)) == TrainingOutcome.Finished;
                    }, dev, Devices.CudaGraphs(p.GetValue(graphs)));
                    e.AddTime(clock.Elapsed.TotalSeconds, 0);
                    if (!done) return outcome == TrainingOutcome.Terminated ? ExitCodes.Terminated : ExitCodes.Interrupted;
                }
                if (!e.Evaluated)
                {
                    var clock = Stopwatch.StartNew();
                    ConsoleTables.EvaluateRuns(e.Runs.Select(r => r.Run).ToList(), new EvaluationRequest(Recompute: true), dev, quiet: true);
                    e.AddTime(0, clock.Elapsed.TotalSeconds);
                }
                ConsoleTables.Print(SeedSpread.Across(e.Runs.Select(r => RunEvaluation.LoadMetrics(r.Run)).ToList(), seedList.Select(s => $"seed {s}").ToList(), withSeeds: true),
                    e.Settings, ["standard"]);
            }
            var markdown = Reproduction.WriteSummary(dir, at, seedList);
            Console.WriteLine();
            Console.Write(markdown);
            Console.WriteLine($"Report: {Path.Combine(dir, "report.html")}; summary: {Path.Combine(dir, "summary.md")}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
