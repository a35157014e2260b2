using System.Globalization;
using InContext.Config;
using InContext.Interop;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Sampling;
using InContext.Tasks;
using InContext.Training;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Probing;

/// <summary>
/// One distribution shift against a run's training distribution; null leaves that part as the
/// run was trained (its curriculum's values at its last step). <see cref="Task"/>: another function
/// class; <see cref="Points"/>: prompt length (at most n_positions); <see cref="NDims"/>: active
/// input dims (at most n_dims, the rest zero-padded);
/// <see cref="ScaleX"/>: inputs scaled by c through a random rotation, as eval's <c>scale-x=c</c>;
/// <see cref="ScaleY"/>: the task's <c>scale</c>, as eval's <c>scale-y=c</c>; <see cref="Noise"/>:
/// <c>N(0, s²)</c> added to every output; <see cref="Bias"/>: added to every active input
/// coordinate; <see cref="Strategy"/>: a prompting strategy.
/// </summary>
/// <para><see cref="Skew"/>: input covariance skewed to condition number κ (eigenvalues from 1 down to
/// 1/κ, geometrically, normalised as eval's <c>skewed</c>); <see cref="OffSpan"/>: each query at
/// distance t from the span of the earlier examples (<see cref="OffSpanPrompts"/>).</para>
public sealed record ProbeOptions(
    string? Task = null, int? Points = null, int? NDims = null, double? ScaleX = null, double? ScaleY = null,
    double? Noise = null, double? Bias = null, string? Strategy = null, double? Skew = null, double? OffSpan = null);

/// <summary>A probe's evaluation, the problem it posed and the error per model and position.</summary>
public sealed record ProbeResult(EvaluationSpec Evaluation, EvaluationProblem Problem, MetricsFile Metrics)
{
    /// <summary>The input dims that carry values.</summary>
    public int ActiveDims => Evaluation.Dims;

    /// <summary>Per model id, the error statistics per position.</summary>
    public IReadOnlyDictionary<string, PositionStats> Errors => Metrics.Evaluations[Evaluation.Name];

    /// <summary>
    /// How tables and figures show the error: the probed task at the active dims (predicting 0 scores
    /// 1 when unscaled), every evaluated position on the x-axis (prompts may be longer than training's).
    /// </summary>
    public PlotSettings Settings(string runName)
    {
        var settings = PlotSettings.For(Evaluation.Task, ActiveDims, runName);
        return settings with { MaxPositions = Math.Max(settings.MaxPositions, Problem.NPoints) };
    }
}

/// <summary>
/// An ad-hoc evaluation of one distribution shift (<c>icl probe</c>): the shift becomes one
/// <see cref="EvaluationSpec"/>, run by the <see cref="Evaluator"/> against the run's transformer and
/// the probed task's baselines, with no config to edit. It is named as eval names the same shift
/// (<c>standard</c>, <c>scale-y=3</c>, <c>random_quadrants</c>; parts joined by commas when
/// several are given). Like every evaluation it draws its prompts from the seed alone: a probe of
/// the run's own distribution reproduces eval's standard numbers exactly, and two probes of one
/// seed differ by their shifts alone (e.g. <c>scale_y 3</c> multiplies least squares' error by
/// exactly 9), not by sampling noise. Parameters out of range are refused under the names of
/// <see cref="ProbeOptions"/> in snake case (<c>points</c>, <c>scale_x</c>...).
/// </summary>
public static class Probe
{
    static string Num(double c) => c.ToString(CultureInfo.InvariantCulture);

    /// <summary>The evaluation of <paramref name="shift"/> for a run, and the problem (task, dims, points) it poses.</summary>
    public static (EvaluationSpec spec, EvaluationProblem problem) Build(RunConfig config, ProbeOptions shift, long seed = 0)
    {
        var nDims = config.Model.NDims;
        var nPositions = config.Model.NPositions;
        var own = config.CreateTask();
        FunctionClass task;
        if (shift.Task is null || shift.Task == own.Name) task = own;
        else if (!TaskRegistry.Names.Contains(shift.Task))
            throw new ParameterException("task", $"{shift.Task}: unknown (valid: {string.Join(", ", TaskRegistry.Names)})");
        else task = TaskRegistry.CreateDefault(shift.Task, nDims);
        var trained = Curriculum.AtLastStep(config.Training);
        var points = shift.Points ?? trained.Points;
        var dims = shift.NDims ?? trained.Dims;
        if (points < 1 || points > nPositions)
            throw new ParameterException("points", $"{points}: the model reads prompts of 1 to n_positions = {nPositions} points");
        if (shift.NDims is { } d && (d < 1 || d > nDims))
            throw new ParameterException("n_dims", $"{d}: the model takes 1 to n_dims = {nDims} input dims");
        var strategy = shift.Strategy is null ? PromptingStrategy.Standard
            : PromptingStrategy.All.FirstOrDefault(s => s.Name == shift.Strategy)
              ?? throw new ParameterException("strategy", $"{shift.Strategy}: unknown (valid: {string.Join(", ", PromptingStrategy.All.Select(s => s.Name))})");
        if (shift.OffSpan is { } t)
        {
            if (shift.Strategy is not null) throw new ParameterException("off_span", $"{Num(t)}: sets the queries itself; give it without a strategy");
            strategy = new OffSpanPrompts(t);
        }
        if (shift.Skew is { } kappa && !(double.IsFinite(kappa) && kappa >= 1))
            throw new ParameterException("skew", $"{Num(kappa)}: expected a condition number ≥ 1");
        if (shift.Skew is not null && shift.ScaleX is not null)
            throw new ParameterException("skew", "and scale_x both transform the inputs; give one of them");
        Positive("scale_x", shift.ScaleX);
        Positive("scale_y", shift.ScaleY);
        if (shift.ScaleY is { } sy)
            task = task.WithScale(sy) ?? throw new ParameterException("scale_y", $"{Num(sy)}: {task.Name} has no output scale");
        if (shift.Noise is { } noise)
        {
            if (!double.IsFinite(noise) || noise < 0) throw new ParameterException("noise", $"{Num(noise)}: expected a number ≥ 0");
            if (!task.AcceptsOutputNoise) throw new ParameterException("noise", $"{Num(noise)}: {task.Name} has ±1 labels; output noise is not defined for them");
            if (noise > 0) task = new NoisyOutputs(task, noise);
        }
        if (shift.Bias is { } b && !double.IsFinite(b)) throw new ParameterException("bias", $"{Num(b)}: expected a finite number");

        Tensor? scale = null;
        if (shift.ScaleX is { } sx)
        {
            using var g = new Generator(Seeds.InputTransformations(seed));
            scale = Evaluations.ScaleX(nDims, sx, g);
        }
        if (shift.Skew is { } condition)
        {
            using var g = new Generator(Seeds.InputTransformations(seed));
            var eigenvalues = Enumerable.Range(0, nDims).Select(j => Math.Pow(condition, -(double)j / Math.Max(nDims - 1, 1))).ToArray();
            scale = Transformations.SampleTransformation(eigenvalues, normalize: true, g);
        }
        var parts = new List<string>();
        if (strategy != PromptingStrategy.Standard) parts.Add(strategy.Name);
        if (shift.Skew is { } k) parts.Add($"skew={Num(k)}");
        if (shift.Task is { } other && other != own.Name) parts.Add(other);
        if (points != trained.Points) parts.Add($"points={points}");
        if (dims != trained.Dims) parts.Add($"n-dims={dims}");
        if (shift.ScaleX is { } x) parts.Add(Evaluations.ScaleXName(x));
        if (shift.ScaleY is { } y) parts.Add(Evaluations.ScaleYName(y));
        if (shift.Noise is { } s and > 0) parts.Add($"noise={Num(s)}");
        if (shift.Bias is { } bias and not 0) parts.Add($"bias={Num(bias)}");
        var spec = new EvaluationSpec(
            parts.Count == 0 ? "standard" : string.Join(",", parts), task, strategy, scale,
            shift.Bias is { } bb and not 0 ? full(nDims, bb) : null,
            dims < nDims ? dims : null);
        return (spec, new EvaluationProblem(task, points));
    }

    /// <summary>
    /// Evaluates the run's transformer and the probed task's baselines (or the
    /// <paramref name="models"/> named, as <c>--models</c> of eval) under <paramref name="shift"/>.
    /// Writes nothing.
    /// </summary>
    public static ProbeResult Run(RunFolder run, ProbeOptions shift, EvaluationSettings? settings = null,
        IReadOnlyList<string>? models = null, Device? device = null, int? step = null, Action<EvaluationProgress>? progress = null, bool withZero = false) =>
        Run([run], shift, settings, models, device, step, progress, withZero);

    /// <summary>
    /// The same for several runs of one config (a pack's seeds): each run's transformer on the same
    /// prompts, the classical learners once. The result holds the seeds' mean (<see cref="SeedSpread"/>)
    /// under each model's id and each seed's own entry beside it (<c>transformer@seed 2</c>).
    /// </summary>
    public static ProbeResult Run(IReadOnlyList<RunFolder> runs, ProbeOptions shift, EvaluationSettings? settings = null,
        IReadOnlyList<string>? models = null, Device? device = null, int? step = null, Action<EvaluationProgress>? progress = null, bool withZero = false)
    {
        var loaded = Load(runs, device, step);
        try { return Run(loaded, shift, settings, models, progress, withZero); }
        finally { Unload(loaded); }
    }

    /// <summary>Each run's config and transformer, labelled as tables name its seed ("seed 2"; by folder where seeds repeat). <see cref="Unload"/> disposes the models.</summary>
    public static IReadOnlyList<(RunConfig Config, IPredictor Model, string Label)> Load(IReadOnlyList<RunFolder> runs, Device? device = null, int? step = null)
    {
        var loaded = new List<(RunConfig Config, IPredictor Model, string Label)>();
        try
        {
            var configs = runs.Select(r => r.LoadConfig()).ToList();
            var labels = SeedSpread.Labels(configs.Select(c => c.Training.Seed).ToList(), runs.Select(r => r.Name).ToList());
            for (var i = 0; i < runs.Count; i++) loaded.Add((configs[i], runs[i].LoadModel(device, step), labels[i]));
            return loaded;
        }
        catch
        {
            Unload(loaded);
            throw;
        }
    }

    /// <summary>Disposes the models <see cref="Load"/> loaded.</summary>
    public static void Unload(IEnumerable<(RunConfig Config, IPredictor Model, string Label)> loaded)
    {
        foreach (var (_, model, _) in loaded) (model as IDisposable)?.Dispose();
    }

    /// <summary>Evaluates an already loaded transformer of the run with <paramref name="config"/> under <paramref name="shift"/> (sweeps load it once).</summary>
    public static ProbeResult Run(RunConfig config, IPredictor model, ProbeOptions shift, EvaluationSettings? settings = null,
        IReadOnlyList<string>? models = null, Action<EvaluationProgress>? progress = null, bool withZero = false) =>
        Run([(config, model, "")], shift, settings, models, progress, withZero);

    /// <summary>
    /// Evaluates already loaded transformers of several runs of one problem under <paramref name="shift"/>:
    /// each run's own models (its transformer, and learners of its own such as dMMSE over its task
    /// pool) by run, the classical learners once; with more than one run, the seeds' mean under each
    /// model's id and each run's entry as <c>id@label</c>.
    /// </summary>
    public static ProbeResult Run(IReadOnlyList<(RunConfig Config, IPredictor Model, string Label)> runs, ProbeOptions shift, EvaluationSettings? settings = null,
        IReadOnlyList<string>? models = null, Action<EvaluationProgress>? progress = null, bool withZero = false)
    {
        settings ??= new EvaluationSettings();
        var (spec, problem) = Build(runs[0].Config, shift, settings.Seed);
        foreach (var (config, _, _) in runs.Skip(1))
            if (Build(config, shift, settings.Seed) is var (other, otherProblem) && (other.Name != spec.Name || otherProblem.Describe() != problem.Describe() || otherProblem.NPoints != problem.NPoints))
                throw new InputException($"{config.Source}: poses another problem under this shift ({otherProblem.Describe()}) than {runs[0].Config.Source} ({problem.Describe()}); probe them one at a time");
        var predictors = new List<IPredictor>();
        var perRun = new Dictionary<string, (string Model, int Run)>();
        for (var i = 0; i < runs.Count; i++)
        {
            var own = RunBaselines.Of(runs[i].Config);
            foreach (var p in RunEvaluation.SelectModels(problem, runs[i].Model, models, withZero, own))
            {
                if (runs.Count > 1 && (ReferenceEquals(p, runs[i].Model) || own.Contains(p)))
                {
                    var named = new NamedPredictor(p, $"{p.Name}{SeedSpread.Mark}{runs[i].Label}");
                    predictors.Add(named);
                    perRun[named.Name] = (p.Name, i);
                }
                else if (i == 0) predictors.Add(p);
            }
        }
        var metrics = new MetricsFile();
        Evaluator.Run([spec], predictors, problem.NPoints, settings, metrics, progress: progress);
        if (runs.Count == 1) return new ProbeResult(spec, problem, metrics);
        // Each run's model: the seeds' mean under its own id, then each seed's entry; the shared learners as they are.
        var combined = new MetricsFile();
        var entries = metrics.Evaluations[spec.Name];
        foreach (var p in predictors)
        {
            if (!perRun.TryGetValue(p.Name, out var of)) combined.Set(spec.Name, p.Name, entries[p.Name]);
            else if (of.Run == 0)
            {
                var seeds = perRun.Where(kv => kv.Value.Model == of.Model).Select(kv => kv.Key).ToList();
                combined.Set(spec.Name, of.Model, SeedSpread.Combine(seeds.Select(id => entries[id]).ToList()));
                foreach (var id in seeds) combined.Set(spec.Name, id, entries[id]);
            }
        }
        return new ProbeResult(spec, problem, combined);
    }

    /// <summary>Writes the probe's figure (error against in-context examples) as PNG or SVG, by the file's extension.</summary>
    public static void WritePlot(ProbeResult result, string runName, string path, PlotSettings? settings = null)
    {
        var format = PlotFormat(path);
        // Several seeds: their mean, its band spanning them, not each seed's curve again.
        var models = result.Errors.Keys.Where(k => !k.Contains(SeedSpread.Mark)).ToList();
        Figures.WriteEvaluation($"{runName}: {result.Evaluation.Name}", result.Errors, settings ?? result.Settings(runName), path, models, format: format);
    }

    /// <summary>The figure format of a file name (png or svg, by its extension); anything else is refused.</summary>
    public static string PlotFormat(string path)
    {
        var format = Path.GetExtension(path).TrimStart('.').ToLowerInvariant();
        return FigureExport.Formats.Contains(format) ? format
            : throw new ParameterException("plot", $"{path}: expected a file name ending in {string.Join(" or ", FigureExport.Formats.Select(f => "." + f))}");
    }

    static void Positive(string option, double? value)
    {
        if (value is { } v && !(double.IsFinite(v) && v > 0)) throw new ParameterException(option, $"{Num(v)}: expected a positive number");
    }
}
