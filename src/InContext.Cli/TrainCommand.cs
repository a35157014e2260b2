using System.CommandLine;
using InContext.Config;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Training;
using Spectre.Console;
using InContext.Native;
using InContext.Storage;

namespace InContext.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var config = new Argument<string?>("config") { Description = "Config file (YAML, with inherit), or an existing run folder to resume. Default: the embedded CPU quickstart.", Arity = ArgumentArity.ZeroOrOne };
        var outDir = new Option<string?>("--out") { Description = "Parent folder of the run (overrides the config's out_dir)." };
        var runId = new Option<string?>("--run-id") { Description = "Run folder name; an existing run is resumed (the config given must be its own). Default: a fresh id." };
        var steps = new Option<int?>("--steps") { Description = "Total steps to train (overrides training.train_steps; a resumed run stops at this step)." };
        var seed = new Option<int?>("--seed") { Description = "Seed for the model's initialisation and every batch (overrides training.seed)." };
        var device = Devices.Option();
        var testRun = new Option<bool>("--test-run") { Description = "100 steps at the curriculum's end values; writes nothing." };
        var noEval = new Option<bool>("--no-eval") { Description = "Skip the evaluation (and figures) at the end of training." };
        var graphs = Devices.CudaGraphsOption();
        var tf32 = Devices.Tf32Option();
        var cmd = new Command("train", "Train an in-context learner, then evaluate it against the baselines; resumes an existing run folder.") { config, outDir, runId, steps, seed, device, testRun, noEval, graphs, tf32 };
        cmd.SetAction(p =>
        {
            if (p.GetValue(tf32)) NativeRuntime.AllowTf32(true);
            return Run(p.GetValue(config), p.GetValue(outDir), p.GetValue(runId), p.GetValue(steps), p.GetValue(seed), p.GetValue(device), p.GetValue(testRun),
                p.GetValue(noEval), Devices.CudaGraphs(p.GetValue(graphs)));
        });
        return cmd;
    }

    static int Run(string? configPath, string? outDir, string? runId, int? steps, int? seed, string? deviceName, bool testRun, bool noEval, bool? cudaGraphs)
    {
        var device = Devices.Parse(deviceName);
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
            outDir = Path.GetDirectoryName(folder.Path);
            runId = folder.Name;
        }
        else config = configPath != null ? RunConfig.Load(configPath) : RunConfig.Quickstart();
        if (seed is { } s) config = config with { Training = config.Training with { Seed = s } };

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

    static int Code(TrainingOutcome outcome) => outcome switch
    {
        TrainingOutcome.Interrupted => ExitCodes.Interrupted,
        TrainingOutcome.Terminated => ExitCodes.Terminated,
        _ => ExitCodes.Ok,
    };
}
