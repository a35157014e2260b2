using System.CommandLine;
using InContext.Evaluation;
using InContext.Probing;

namespace InContext.Cli;

static class ProbeCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "A run folder." };
        var task = new Option<string?>("--task") { Description = "Another function class than the run's (e.g. quadratic_regression for a linear model)." };
        var points = new Option<int?>("--points") { Description = "Points per prompt (default: the curriculum's end; at most n_positions)." };
        var nDims = new Option<int?>("--n-dims") { Description = "Active input dims, fewer than the model's (the rest zero-padded)." };
        var scaleX = new Option<double?>("--scale-x") { Description = "Scale inputs by C (through a random rotation, as eval's scale-x=C)." };
        var scaleY = new Option<double?>("--scale-y") { Description = "The task's output scale C (as eval's scale-y=C)." };
        var noise = new Option<double?>("--noise") { Description = "Add N(0, S²) noise to every output (examples and targets)." };
        var bias = new Option<double?>("--bias") { Description = "Add B to every active input coordinate." };
        var strategy = new Option<string?>("--strategy") { Description = $"Prompting strategy: {string.Join(", ", PromptingStrategy.All.Select(s => s.Name))}." };
        var examples = new Option<int>("--examples") { Description = "Prompts to evaluate.", DefaultValueFactory = _ => 1280 };
        var models = new Option<string[]>("--models") { Description = "Models, by id (default: the transformer and the probed task's baselines).", AllowMultipleArgumentsPerToken = true };
        var plot = new Option<string?>("--plot") { Description = "Write the figure to this .png or .svg file." };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompts (and of the scale-x rotation).", DefaultValueFactory = _ => 0 };
        var step = new Option<int?>("--step") { Description = "Probe model_<step>.pt instead of state.pt." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("probe", "Evaluate a run's transformer and the baselines under one distribution shift given here; prints the error table.")
            { runDir, task, points, nDims, scaleX, scaleY, noise, bias, strategy, examples, models, plot, seed, step, device };
        cmd.SetAction(p =>
        {
            if (p.GetValue(examples) < 1) throw new ParameterException("examples", $"{p.GetValue(examples)}: must be at least 1");
            if (p.GetValue(plot) is { } figure) Probe.PlotFormat(figure);
            var run = new RunFolder(p.GetValue(runDir)!);
            var shift = new ProbeOptions(p.GetValue(task), p.GetValue(points), p.GetValue(nDims), p.GetValue(scaleX), p.GetValue(scaleY),
                p.GetValue(noise), p.GetValue(bias), p.GetValue(strategy));
            var settings = new EvaluationSettings(p.GetValue(examples), Seed: p.GetValue(seed));
            var result = ConsoleTables.WithProgress(report => Probe.Run(run, shift, settings, Lists.Split(p.GetValue(models)),
                Devices.Parse(p.GetValue(device)), p.GetValue(step), report));
            var problem = result.Problem;
            Console.WriteLine($"Probe {result.Evaluation.Name} of {run.Path}: {problem.Task}, {problem.NPoints} points, {result.ActiveDims}/{problem.NDims} dims active, {settings.NumExamples} prompts");
            ConsoleTables.Print(result.Metrics, result.Settings(run.Name));
            if (p.GetValue(plot) is { } file)
            {
                Probe.WritePlot(result, run.Name, file);
                Console.WriteLine($"Figure: {Path.GetFullPath(file)}");
            }
            return 0;
        });
        return cmd;
    }
}
