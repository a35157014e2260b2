using InContext.Baselines;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Evaluation;

/// <summary>
/// What to evaluate: which evaluations and models (null: all that apply), how many prompts;
/// <paramref name="WithZero"/> adds the <c>zero</c> learner, to measure errors relative to predicting 0.
/// </summary>
public sealed record EvaluationRequest(
    IReadOnlyList<string>? Strategies = null,
    IReadOnlyList<string>? Models = null,
    bool Recompute = false,
    EvaluationSettings? Settings = null,
    int? Step = null,
    bool WithZero = false);

/// <summary>
/// Evaluates a run (its transformer and its task's baselines) or the baselines alone, into a
/// <c>metrics.json</c>. Each entry of the file records what it was computed on
/// (<see cref="EvaluationKey"/>), and only entries of the very same problem, checkpoint and
/// prompts are reused; the rest of the asked entries are computed, and the file is replaced
/// atomically. A run's file follows its checkpoint (entries of another checkpoint are dropped);
/// a file of another problem is never overwritten without <see cref="EvaluationRequest.Recompute"/>.
/// </summary>
public static class RunEvaluation
{
    /// <summary>
    /// Whether the run's metrics.json holds each of <paramref name="evaluations"/> computed on the
    /// run's current <c>state.pt</c> (a stale entry does not count): for <paramref name="model"/>
    /// alone, or for every model an entry has when it is null.
    /// </summary>
    public static bool IsCurrent(RunFolder run, IEnumerable<string> evaluations, string? model = null)
    {
        if (!run.HasState || !File.Exists(run.MetricsPath)) return false;
        var metrics = MetricsFile.Load(run.MetricsPath);
        var checkpoint = $", checkpoint {Checkpoints.Fingerprint(run.StatePath)}";
        bool OnThisCheckpoint(PositionStats s) => s.EvaluatedOn?.Contains(checkpoint, StringComparison.Ordinal) == true;
        return evaluations.All(e => metrics.Evaluations.TryGetValue(e, out var models)
            && (model is null ? models.Values.All(OnThisCheckpoint) : models.TryGetValue(model, out var stats) && OnThisCheckpoint(stats)));
    }

    /// <summary>Evaluates a trained run under its lock; writes and returns its metrics.json (metrics_&lt;step&gt;.json for a kept model).</summary>
    public static MetricsFile EvaluateRun(RunFolder run, EvaluationRequest request, Device? device = null, Action<EvaluationProgress>? progress = null)
    {
        var config = run.LoadConfig();
        var checkpoint = run.CheckpointPath(request.Step);
        using var hold = run.Lock("evaluation");
        var problem = EvaluationProblem.Of(config);
        using var model = run.LoadModel(device, request.Step);
        var path = run.MetricsPathFor(request.Step);
        return Evaluate(problem, model, request, path, Checkpoints.Fingerprint(checkpoint), forRun: true, progress, RunBaselines.Of(config));
    }

    /// <summary>Evaluates the classical learners alone on a problem; writes and returns the metrics.json at <paramref name="metricsPath"/>.</summary>
    public static MetricsFile EvaluateBaselines(EvaluationProblem problem, EvaluationRequest request, string metricsPath, Action<EvaluationProgress>? progress = null)
    {
        if (request.Models?.Contains(InContextTransformer.Id) == true)
            throw new ParameterException("models", $"'{InContextTransformer.Id}': needs a run folder; without one only baselines are evaluated");
        return Evaluate(problem, null, request, metricsPath, null, forRun: false, progress);
    }

    /// <summary>The folder a baselines-only evaluation writes to by default: one per problem, so two problems never share a file.</summary>
    public static string DefaultBaselinesFolder(EvaluationProblem problem) =>
        $"baselines-{problem.Task.Name}-d{problem.NDims}-n{problem.NPoints}";

    static MetricsFile Evaluate(EvaluationProblem problem, IPredictor? transformer, EvaluationRequest request, string metricsPath,
        string? fingerprint, bool forRun, Action<EvaluationProgress>? progress, IReadOnlyList<IPredictor>? runBaselines = null)
    {
        AtomicFile.EnsureWritable(metricsPath);
        var settings = request.Settings ?? new EvaluationSettings();
        var evaluations = SelectEvaluations(problem, request.Strategies, settings.Seed);
        var predictors = SelectModels(problem, transformer, request.Models, request.WithZero, runBaselines);
        var key = EvaluationKey.Of(problem, settings, fingerprint);
        var file = Reusable(metricsPath, EvaluationKey.ProblemPart(problem, fingerprint), evaluations.Select(e => e.Name).ToHashSet(), key,
            request.Recompute, forRun);
        Evaluator.Run(evaluations, predictors, problem.NPoints, settings, file,
            needed: (e, p) => !(file.Evaluations.TryGetValue(e.Name, out var m) && m.TryGetValue(p.Name, out var s) && s.EvaluatedOn == key),
            progress: progress, evaluatedOn: key);
        file.Save(metricsPath);
        return file;
    }

    /// <summary>
    /// What of an existing file may stay: a run's entries of another checkpoint are stale and go; a
    /// file of another problem is refused (nothing overwritten) unless <paramref name="recompute"/>;
    /// in the evaluations asked for, entries of other prompts go (a figure compares models on the same prompts).
    /// </summary>
    static MetricsFile Reusable(string path, string problemPart, HashSet<string> asked, string key, bool recompute, bool forRun)
    {
        var fresh = new MetricsFile();
        if (recompute || !File.Exists(path)) return fresh;
        var existing = MetricsFile.Load(path);
        var other = existing.Evaluations.SelectMany(e => e.Value.Values).Select(s => EvaluationKey.ProblemPartOf(s.EvaluatedOn))
            .FirstOrDefault(p => p != problemPart, problemPart);
        if (other != problemPart && !forRun)
            throw new InputException($"{path}: holds metrics of another problem ({other ?? "of unknown origin"}); nothing overwritten: write elsewhere, or recompute to replace them");
        foreach (var (evaluation, models) in existing.Evaluations)
            foreach (var (model, stats) in models)
                if (EvaluationKey.ProblemPartOf(stats.EvaluatedOn) == problemPart && (!asked.Contains(evaluation) || stats.EvaluatedOn == key))
                    fresh.Set(evaluation, model, stats);
        return fresh;
    }

    /// <summary>The problem's evaluations, or those named in <paramref name="names"/> (refused as the parameter <c>strategies</c> when unknown or not applicable).</summary>
    public static List<EvaluationSpec> SelectEvaluations(EvaluationProblem problem, IReadOnlyList<string>? names, long seed = 0)
    {
        var all = Evaluations.For(problem.Task, seed);
        if (names is null || names.Count == 0) return all;
        foreach (var n in names)
        {
            if (all.Any(e => e.Name == n)) continue;
            var known = Tasks.TaskRegistry.Names.Any(t => Evaluations.For(Tasks.TaskRegistry.CreateDefault(t, problem.NDims), seed).Any(e => e.Name == n));
            throw new ParameterException("strategies", known
                ? $"'{n}': does not apply to {problem.Task.Name} (valid for it: {string.Join(", ", all.Select(e => e.Name))})"
                : $"'{n}': unknown evaluation (valid: {string.Join(", ", all.Select(e => e.Name))})");
        }
        return all.Where(e => names.Contains(e.Name)).ToList();
    }

    /// <summary>
    /// The transformer (if any), the task's baselines and the run's own (<see cref="RunBaselines"/>), or
    /// the models named in <paramref name="names"/> (refused as the parameter <c>models</c> when unknown,
    /// and <c>dmmse</c> where the run has no task pool).
    /// </summary>
    public static List<IPredictor> SelectModels(EvaluationProblem problem, IPredictor? transformer, IReadOnlyList<string>? names, bool withZero = false,
        IReadOnlyList<IPredictor>? runBaselines = null)
    {
        if (withZero && problem.Task.HigherIsBetter)
            throw new ParameterException("relative_to_zero", $": {problem.Task.MetricName} is not an error; only errors are measured against predicting 0");
        var chosen = SelectNamedModels(problem, transformer, names, runBaselines ?? []);
        if (withZero && chosen.All(p => p.Name != ZeroPredictor.Id)) chosen.Add(new ZeroPredictor());
        return chosen;
    }

    static List<IPredictor> SelectNamedModels(EvaluationProblem problem, IPredictor? transformer, IReadOnlyList<string>? names, IReadOnlyList<IPredictor> runBaselines)
    {
        var defaults = new List<IPredictor>();
        if (transformer != null) defaults.Add(transformer);
        defaults.AddRange(problem.Task.Baselines());
        defaults.AddRange(runBaselines);
        if (names is null || names.Count == 0) return defaults;
        var chosen = new List<IPredictor>();
        foreach (var n in names)
        {
            if (n == InContextTransformer.Id)
                chosen.Add(transformer ?? throw new ParameterException("models", $"'{n}': needs a run folder"));
            else if (n == DiscreteMmse.Id && defaults.All(p => p.Name != n))
                throw new ParameterException("models", $"'{n}': the posterior mean over a run's task pool: needs a run trained with num_tasks on a linear task");
            else
                chosen.Add(defaults.FirstOrDefault(p => p.Name == n) ?? Learners.TryCreate(n)
                           ?? throw new ParameterException("models", $"'{n}': unknown model (valid: {(transformer != null ? InContextTransformer.Id + ", " : "")}{string.Join(", ", Learners.Ids)})"));
        }
        return chosen;
    }
}
