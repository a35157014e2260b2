using System.CommandLine;
using InContext.Config;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Training;
using Spectre.Console;
using InContext.Native;
using InContext.Storage;
using static TorchSharp.torch;

namespace InContext.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var config = new Argument<string[]>("config") { Description = "Config file (YAML, with inherit), or an existing run folder to resume; several run folders, or a pack's folder, resume as one pack. Default: the embedded CPU quickstart.", Arity = ArgumentArity.ZeroOrMore };
        var outDir = new Option<string?>("--out") { Description = "Parent folder of the run (overrides the config's out_dir)." };
        var runId = new Option<string?>("--run-id") { Description = "Run folder name; an existing run is resumed (the config given must be its own). Default: a fresh id." };
        var steps = new Option<int?>("--steps") { Description = "Total steps to train (overrides training.train_steps; a resumed run stops at this step)." };
        var seed = new Option<int?>("--seed") { Description = "Seed for the model's initialisation and every batch (overrides training.seed)." };
        var seeds = new Option<string?>("--seeds") { Description = "Several seeds, e.g. 0,1,2 (overrides training.seeds): one run each, trained together as one packed model into <out>/<run-id>/seed=S/." };
        var device = Devices.Option();
        var testRun = new Option<bool>("--test-run") { Description = "100 steps at the curriculum's end values; writes nothing." };
        var noEval = new Option<bool>("--no-eval") { Description = "Skip the evaluation (and figures) at the end of training." };
        var graphs = Devices.CudaGraphsOption();
        var tf32 = Devices.Tf32Option();
        var cmd = new Command("train", "Train an in-context learner, then evaluate it against the baselines; resumes an existing run folder.") { config, outDir, runId, steps, seed, seeds, device, testRun, noEval, graphs, tf32 };
        cmd.SetAction(p =>
        {
            if (p.GetValue(tf32)) NativeRuntime.AllowTf32(true);
            var paths = p.GetValue(config) ?? [];
            var dev = Devices.Parse(p.GetValue(device));
            var graphsAsked = Devices.CudaGraphs(p.GetValue(graphs));
            var packed = Packs.Resumed(paths);
            if (packed is not null)
            {
                if (p.GetValue(outDir) != null || p.GetValue(runId) != null || p.GetValue(seed) != null || p.GetValue(seeds) != null)
                    throw new ParameterException(p.GetValue(outDir) != null ? "out" : p.GetValue(runId) != null ? "run_id" : p.GetValue(seed) != null ? "seed" : "seeds",
                        ": runs are resumed where they are and with their own seeds; --out, --run-id, --seed and --seeds apply to a config file");
                return TrainPack(packed.Select(r => (r.LoadConfig(), r)).ToList(), Path.GetDirectoryName(packed[0].Path)!, resumes: true, p.GetValue(steps), dev, p.GetValue(noEval), graphsAsked);
            }
            return Run(paths.FirstOrDefault(), p.GetValue(outDir), p.GetValue(runId), p.GetValue(steps), p.GetValue(seed), Packs.ParseSeeds(p.GetValue(seeds)), dev, p.GetValue(testRun),
                p.GetValue(noEval), graphsAsked);
        });
        return cmd;
    }

    static int Run(string? configPath, string? outDir, string? runId, int? steps, int? seed, IReadOnlyList<long>? seeds, Device device, bool testRun, bool noEval, bool? cudaGraphs)
    {
        // The same range as training.seed: a run written with it must load again.
        if (seed is < 0) throw new ParameterException("seed", $"{seed}: must not be negative");
        if (steps is < 1) throw new ParameterException("steps", $"{steps}: must be at least 1");
        RunConfig config;
        if (configPath != null && Directory.Exists(configPath))
        {
            // A run folder: resume it where it stands.
            var folder = new RunFolder(configPath);
            config = folder.LoadConfig();
            if (outDir != null || runId != null)
                throw new ParameterException(outDir != null ? "out" : "run_id", ": a run folder is resumed where it is; --out and --run-id apply to a config file");
            if (seed is { } kept && kept != config.Training.Seed)
                throw new ParameterException("seed", $"{kept}: the run in {folder.Path} was trained with seed {config.Training.Seed}; a resumed run keeps its seed");
            if (seeds is not null)
                throw new ParameterException("seeds", $": {folder.Path} is one run, resumed with its own seed; --seeds applies to a config file");
            outDir = Path.GetDirectoryName(folder.Path);
            runId = folder.Name;
        }
        else config = configPath != null ? RunConfig.Load(configPath) : RunConfig.Quickstart();
        if (seed is not null && seeds is not null) throw new ParameterException("seeds", ": give --seed (one run) or --seeds (a pack of runs), not both");
        if (seed is { } s) config = config with { Training = config.Training with { Seed = s, Seeds = null } };
        if ((seeds ?? config.Training.Seeds) is { } packSeeds)
        {
            if (testRun || config.TestRun)
            {
                using var testPack = new Trainer(SeedPacks.Members(config.AsTestRun(), packSeeds).Select(c => (c, (RunFolder?)null)).ToList(), device, cudaGraphs);
                return Code(ConsoleProgress.Train(testPack, null, $"test run ({config.Training.Task}, {packSeeds.Count} seeds packed)"));
            }
            var (packRuns, folder, packResumes) = SeedPacks.Prepare(config, packSeeds, outDir, runId);
            return TrainPack(packRuns, folder, packResumes, steps, device, noEval, cudaGraphs);
        }

        if (testRun || config.TestRun)
        {
            using var test = new Trainer(config.AsTestRun(), run: null, device, cudaGraphs);
            return Code(ConsoleProgress.Train(test, null, $"test run ({config.Training.Task})"));
        }

        var (run, runConfig, resumes) = Runs.Prepare(config, outDir, runId);
        using var trainer = new Trainer(runConfig, run, device, cudaGraphs);
        var total = steps ?? runConfig.Training.TrainSteps;
        AnsiConsole.MarkupLineInterpolated($"[bold]{(resumes ? "Resuming" : "Training")}[/] {runConfig.Training.Task}, model {runConfig.Model.NEmbd}/{runConfig.Model.NLayer}/{runConfig.Model.NHead}, d={runConfig.Model.NDims}, on {device.type}{(trainer.UsesCudaGraphs ? " (CUDA graphs)" : "")} -> {run.Path}");
        if (resumes) AnsiConsole.MarkupLineInterpolated($"  at step {trainer.NextStep} of {total}{(trainer.NextStep >= total ? ": nothing left to train (--steps goes further)" : "")}");
        var outcome = ConsoleProgress.Train(trainer, total, runConfig.Wandb.Name ?? runConfig.Training.Task);
        if (outcome != TrainingOutcome.Finished || noEval)
        {
            AnsiConsole.MarkupLineInterpolated($"Run folder: {run.Path}");
            return Code(outcome);
        }

        // As the paper does at the end of a run: every evaluation that applies, then the figures.
        var metrics = ConsoleTables.EvaluateRun(run, new EvaluationRequest(), device, quiet: true);
        var d = runConfig.Model.NDims;
        var n = runConfig.Training.Curriculum.Points.End;
        AnsiConsole.MarkupLine("[bold]Standard prompts[/], 1280 fresh prompts:");
        ConsoleTables.Print(metrics, RunPlots.SettingsOf(runConfig, run.Name), ["standard"], n <= 2 * d + 1 ? ExampleColumns.All : null);
        var figures = RunPlots.Write(run);
        AnsiConsole.MarkupLineInterpolated($"Metrics: {run.MetricsPath}  ({metrics.Evaluations.Count} evaluations; `icl eval {run.Path}` prints them all)");
        AnsiConsole.MarkupLineInterpolated($"Figures: {run.PlotsPath} ({figures.Count} files)");
        AnsiConsole.MarkupLineInterpolated($"Run folder: {run.Path}");
        return ExitCodes.Ok;
    }

    /// <summary>Trains a pack (its runs at whatever steps they stand), then evaluates every run and prints the seeds' mean.</summary>
    static int TrainPack(IReadOnlyList<(RunConfig Config, RunFolder Run)> runs, string folder, bool resumes, int? steps, Device device, bool noEval, bool? cudaGraphs)
    {
        var first = runs[0].Config;
        var total = steps ?? first.Training.TrainSteps;
        var seedList = string.Join(", ", runs.Select(r => r.Config.Training.Seed));
        AnsiConsole.MarkupLineInterpolated($"[bold]{(resumes ? "Resuming" : "Training")}[/] {first.Training.Task}, {runs.Count} seeds packed ({seedList}), model {first.Model.NEmbd}/{first.Model.NLayer}/{first.Model.NHead}, d={first.Model.NDims}, on {device.type} -> {folder}");
        if (resumes)
            AnsiConsole.MarkupLineInterpolated($"  at {string.Join("; ", runs.GroupBy(r => SeedPacks.StepsDone(r.Run)).Select(g => $"step {g.Key} ({string.Join(", ", g.Select(r => r.Run.Name))})"))} of {total}");
        var outcome = TrainingOutcome.Finished;
        var title = $"{first.Wandb.Name ?? first.Training.Task} ×{runs.Count}";
        var finished = SeedPacks.Train(runs, total, trainer => (outcome = ConsoleProgress.Train(trainer, total, title)) == TrainingOutcome.Finished, device, cudaGraphs);
        if (!finished || noEval)
        {
            AnsiConsole.MarkupLineInterpolated($"Run folders: {string.Join(", ", runs.Select(r => r.Run.Path))}");
            return Code(outcome);
        }
        var metrics = ConsoleTables.EvaluateRuns(runs.Select(r => r.Run).ToList(), new EvaluationRequest(), device, quiet: true);
        var d = first.Model.NDims;
        var n = first.Training.Curriculum.Points.End;
        AnsiConsole.MarkupLine($"[bold]Standard prompts[/], 1280 fresh prompts: the mean of the {runs.Count} seeds, then each seed:");
        ConsoleTables.Print(SeedSpread.Across(metrics, SeedSpread.Labels(runs.Select(r => r.Config.Training.Seed).ToList(), runs.Select(r => r.Run.Name).ToList()), withSeeds: true), RunPlots.SettingsOf(first, Path.GetFileName(folder)), ["standard"], n <= 2 * d + 1 ? ExampleColumns.All : null);
        AnsiConsole.MarkupLineInterpolated($"Metrics and figures: each run's metrics.json and plots/ (`icl eval RUN` prints them all)");
        AnsiConsole.MarkupLineInterpolated($"Run folders: {string.Join(", ", runs.Select(r => r.Run.Path))}");
        return ExitCodes.Ok;
    }

    static int Code(TrainingOutcome outcome) => outcome switch
    {
        TrainingOutcome.Interrupted => ExitCodes.Interrupted,
        TrainingOutcome.Terminated => ExitCodes.Terminated,
        _ => ExitCodes.Ok,
    };
}
