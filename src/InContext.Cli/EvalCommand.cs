using System.CommandLine;
using InContext.Config;
using InContext.Evaluation;
using InContext.Tasks;
using InContext.Storage;

namespace InContext.Cli;

static class EvalCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string[]>("run-dir") { Description = "A run folder; several, or a pack's folder, are evaluated in one pass (the baselines once for all). Without one, the baselines alone on --task/--n-dims/--points.", Arity = ArgumentArity.ZeroOrMore };
        var examples = new Option<int>("--examples") { Description = "Prompts per evaluation.", DefaultValueFactory = _ => 1280 };
        var batch = new Option<int>("--batch-size") { Description = "Prompts per batch.", DefaultValueFactory = _ => 64 };
        var strategies = new Option<string[]>("--strategies") { Description = "Evaluations to run (comma-separated; default: all that apply).", AllowMultipleArgumentsPerToken = true };
        var models = new Option<string[]>("--models") { Description = "Models to evaluate, by id (transformer, least_squares, knn_3, averaging, lasso_0.01, nn_gd, tree_depth_4, tree, boosted_trees).", AllowMultipleArgumentsPerToken = true };
        var step = new Option<int?>("--step") { Description = "Evaluate model_<step>.pt instead of state.pt (writes metrics_<step>.json)." };
        var recompute = new Option<bool>("--recompute") { Description = "Ignore an existing metrics.json." };
        var task = new Option<string?>("--task") { Description = "Without a run: the function class." };
        var nDims = new Option<int>("--n-dims") { Description = "Without a run: input dimension.", DefaultValueFactory = _ => 20 };
        var points = new Option<int>("--points") { Description = "Without a run: points per prompt.", DefaultValueFactory = _ => 41 };
        var outDir = new Option<string?>("--out") { Description = "Without a run: folder for metrics.json (default: ./baselines-<task>-d<n_dims>-n<points>)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the evaluation prompts.", DefaultValueFactory = _ => 0 };
        var device = Devices.Option();
        var k = Lists.ExamplesOption();
        var zero = Lists.RelativeToZeroOption();
        var cmd = new Command("eval", "Evaluate a run's transformer and the classical baselines on every distribution shift; writes metrics.json.")
            { runDir, examples, batch, strategies, models, step, recompute, task, nDims, points, outDir, seed, device, k, zero };
        cmd.SetAction(p =>
        {
            if (p.GetValue(examples) < 1 || p.GetValue(batch) < 1) throw new InputException("--examples and --batch-size must be at least 1");
            var columns = Lists.Examples(p.GetValue(k));   // refused before any work
            var on = Devices.Parse(p.GetValue(device));    // checked with a run folder or without (the baselines run on the CPU)
            var request = new EvaluationRequest(
                Lists.Split(p.GetValue(strategies)), Lists.Split(p.GetValue(models)), p.GetValue(recompute),
                new EvaluationSettings(p.GetValue(examples), p.GetValue(batch), p.GetValue(seed)), p.GetValue(step), p.GetValue(zero));
            var dirs = p.GetValue(runDir) ?? [];
            if (Packs.Resumed(dirs) is { } several)
            {
                columns?.Within(EvaluationProblem.Of(several[0].LoadConfig()).NPoints);
                ConsoleTables.EvaluateRuns(several, request, on, columns: columns);
                return ExitCodes.Ok;
            }
            if (dirs.Length == 1)
            {
                var run = new RunFolder(dirs[0]);
                columns?.Within(EvaluationProblem.Of(run.LoadConfig()).NPoints);
                ConsoleTables.EvaluateRun(run, request, on, columns: columns);
                return ExitCodes.Ok;
            }
            var taskName = p.GetValue(task) ?? throw new InputException("give a run folder, or --task (with --n-dims and --points) to evaluate the baselines alone");
            if (!TaskRegistry.Names.Contains(taskName))
                throw new ParameterException("task", $"{Printable.Escape(taskName)}: unknown (valid: {string.Join(", ", TaskRegistry.Names)})");
            if (p.GetValue(nDims) < 1 || p.GetValue(points) < 1) throw new InputException("--n-dims and --points must be at least 1");
            var problem = new EvaluationProblem(TaskRegistry.CreateDefault(taskName, p.GetValue(nDims)), p.GetValue(points));
            columns?.Within(problem.NPoints);
            var path = Path.Combine(p.GetValue(outDir) ?? RunEvaluation.DefaultBaselinesFolder(problem), RunFolder.MetricsFileName);
            ConsoleTables.EvaluateBaselines(problem, request, path, columns);
            return ExitCodes.Ok;
        });
        return cmd;
    }

}
