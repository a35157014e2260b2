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
        var metrics = LoadMetrics(run);
        var checkpoint = $", checkpoint {Checkpoints.Fingerprint(run.StatePath)}";
        bool OnThisCheckpoint(PositionStats s) => s.EvaluatedOn?.Contains(checkpoint, StringComparison.Ordinal) == true;
        return evaluations.All(e => metrics.Evaluations.TryGetValue(e, out var models)
            && (model is null ? models.Values.All(OnThisCheckpoint) : models.TryGetValue(model, out var stats) && OnThisCheckpoint(stats)));
    }

    /// <summary>The run's metrics.json (metrics_&lt;step&gt;.json for a kept model), each entry checked to hold one value per point of the run's prompts.</summary>
    public static MetricsFile LoadMetrics(RunFolder run, int? step = null) =>
        MetricsFile.Load(run.MetricsPathFor(step), EvaluationProblem.Of(run.LoadConfig()).NPoints);

    /// <summary>Evaluates a trained run under its lock; writes and returns its metrics.json (metrics_&lt;step&gt;.json for a kept model).</summary>
    public static MetricsFile EvaluateRun(RunFolder run, EvaluationRequest request, Device? device = null, Action<EvaluationProgress>? progress = null) =>
        EvaluateRuns([run], request, device, progress)[0];

    /// <summary>
    /// Evaluates several trained runs of one problem (a pack's seeds) in one pass, each under its
    /// lock: the classical learners, which see the same prompts in every run, are computed once
    /// for all; each run's transformer is asked alone. Writes each run's metrics.json exactly as
    /// evaluating it alone would, and returns them in order.
    /// </summary>
    public static IReadOnlyList<MetricsFile> EvaluateRuns(IReadOnlyList<RunFolder> runs, EvaluationRequest request, Device? device = null, Action<EvaluationProgress>? progress = null)
    {
        if (runs.Count == 0) throw new ArgumentException("no run to evaluate", nameof(runs));
        var problems = runs.Select(r => EvaluationProblem.Of(r.LoadConfig())).ToList();
        var problem = problems[0];
        for (var i = 1; i < runs.Count; i++)
            if (problems[i].Describe() != problem.Describe() || problems[i].NPoints != problem.NPoints)
                throw new InputException($"{runs[i].Path}: another problem ({problems[i].Describe()}, {problems[i].NPoints} points) than {runs[0].Path}'s ({problem.Describe()}, {problem.NPoints} points); evaluate them one at a time");
        var locks = new List<IDisposable>();
        var models = new List<InContextTransformer>();
        try
        {
            foreach (var run in runs)
            {
                var checkpoint = run.CheckpointPath(request.Step);
                locks.Add(run.Lock("evaluation"));
                models.Add(run.LoadModel(device, request.Step));
            }
            var targets = runs.Select((run, i) => new Target(run.MetricsPathFor(request.Step), models[i], Checkpoints.Fingerprint(run.CheckpointPath(request.Step)),
                RunBaselines.Of(run.LoadConfig()))).ToList();
            return Evaluate(problem, targets, request, forRun: true, progress);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
            foreach (var l in locks) l.Dispose();
        }
    }

    /// <summary>Evaluates the classical learners alone on a problem; writes and returns the metrics.json at <paramref name="metricsPath"/>.</summary>
    public static MetricsFile EvaluateBaselines(EvaluationProblem problem, EvaluationRequest request, string metricsPath, Action<EvaluationProgress>? progress = null)
    {
        if (request.Models?.Contains(InContextTransformer.Id) == true)
            throw new ParameterException("models", $"'{InContextTransformer.Id}': needs a run folder; without one only baselines are evaluated");
        return Evaluate(problem, [new Target(metricsPath, null, null)], request, forRun: false, progress)[0];
    }

    /// <summary>The folder a baselines-only evaluation writes to by default: one per problem, so two problems never share a file.</summary>
    public static string DefaultBaselinesFolder(EvaluationProblem problem) =>
        $"baselines-{problem.Task.Name}-d{problem.NDims}-n{problem.NPoints}";

    /// <summary>
    /// One metrics.json an evaluation fills: its path, the run's transformer (null: baselines
    /// alone), its checkpoint's fingerprint, and the learners of the run's own (dMMSE over its task
    /// pool, which differs from seed to seed).
    /// </summary>
    sealed record Target(string MetricsPath, IPredictor? Transformer, string? Fingerprint, IReadOnlyList<IPredictor>? RunBaselines = null);

    static IReadOnlyList<MetricsFile> Evaluate(EvaluationProblem problem, IReadOnlyList<Target> targets, EvaluationRequest request, bool forRun, Action<EvaluationProgress>? progress)
    {
        foreach (var t in targets) AtomicFile.EnsureWritable(t.MetricsPath);
        var settings = request.Settings ?? new EvaluationSettings();
        // The runs' transformers are asked one after another: one's activations at a time.
        EvaluationMemory.Estimate(problem, settings, targets.Select(t => t.Transformer).OfType<InContextTransformer>().FirstOrDefault()?.Config).EnsureFits(problem);
        var evaluations = SelectEvaluations(problem, request.Strategies, settings.Seed);
        var asked = evaluations.Select(e => e.Name).ToHashSet();
        var keys = targets.Select(t => EvaluationKey.Of(problem, settings, t.Fingerprint)).ToList();
        var files = targets.Select((t, i) => Reusable(t.MetricsPath, problem.NPoints, EvaluationKey.ProblemPart(problem, t.Fingerprint), asked, keys[i], request.Recompute, forRun)).ToList();
        // Each run's models, by the name its file keeps them under; the classical learners are
        // the same for every run (same problem, same prompts), so they are asked once.
        var perTarget = targets.Select(t => SelectModels(problem, t.Transformer, request.Models, request.WithZero, t.RunBaselines)).ToList();
        var predictors = new List<IPredictor>();
        var owner = new Dictionary<string, (int Target, string Name)?>();   // null: a learner every run shares
        for (var i = 0; i < targets.Count; i++)
            foreach (var p in perTarget[i])
            {
                if (ReferenceEquals(p, targets[i].Transformer) || targets[i].RunBaselines?.Contains(p) == true)
                {
                    var named = targets.Count == 1 ? p : new NamedPredictor(p, $"{p.Name}#{i}");
                    predictors.Add(named);
                    owner[named.Name] = (i, p.Name);
                }
                else if (owner.TryAdd(p.Name, null)) predictors.Add(p);
            }
        // An evaluation's own classical learners that the run's class lacks (noisyLR's ridge for a
        // noiseless linear run): asked on that evaluation only, unless named with --models.
        var own = request.Models is null or [] ? OwnBaselines(evaluations, predictors) : [];
        var extra = own.Values.SelectMany(b => b).DistinctBy(b => b.Name).ToList();
        foreach (var b in extra) { predictors.Add(b); owner[b.Name] = null; }
        bool Asks(EvaluationSpec e, IPredictor p) => !extra.Contains(p) || own.TryGetValue(e.Name, out var mine) && mine.Any(b => b.Name == p.Name);
        bool Current(int i, string evaluation, string model) =>
            files[i].Evaluations.TryGetValue(evaluation, out var m) && m.TryGetValue(model, out var s) && s.EvaluatedOn == keys[i];
        var computed = new MetricsFile();
        Evaluator.Run(evaluations, predictors, problem.NPoints, settings, computed,
            needed: (e, p) => Asks(e, p) && (owner[p.Name] is var (i, name) ? !Current(i, e.Name, name) : Enumerable.Range(0, targets.Count).Any(i => !Current(i, e.Name, p.Name))),
            progress: progress);
        foreach (var (evaluation, models) in computed.Evaluations)
            foreach (var (name, stats) in models)
            {
                if (owner[name] is var (i, runsName)) files[i].Set(evaluation, runsName, stats with { EvaluatedOn = keys[i] });
                else for (var i2 = 0; i2 < targets.Count; i2++) files[i2].Set(evaluation, name, stats with { EvaluatedOn = keys[i2] });
            }
        for (var i = 0; i < targets.Count; i++) files[i] = InOrder(files[i], evaluations, [.. perTarget[i], .. extra]);
        for (var i = 0; i < targets.Count; i++) files[i].Save(targets[i].MetricsPath);
        return files;
    }

    /// <summary>The file's entries with the asked evaluations and models in the order of <paramref name="evaluations"/> and <paramref name="models"/>, then any others it keeps, as they were.</summary>
    static MetricsFile InOrder(MetricsFile file, IReadOnlyList<EvaluationSpec> evaluations, IReadOnlyList<IPredictor> models)
    {
        var ordered = new MetricsFile();
        var evaluationOrder = evaluations.Select(e => e.Name).Concat(file.Evaluations.Keys).Distinct();
        foreach (var evaluation in evaluationOrder)
        {
            if (!file.Evaluations.TryGetValue(evaluation, out var entries)) continue;
            foreach (var model in models.Select(m => m.Name).Concat(entries.Keys).Distinct())
                if (entries.TryGetValue(model, out var stats)) ordered.Set(evaluation, model, stats);
        }
        return ordered;
    }

    /// <summary>
    /// What of an existing file may stay: a run's entries of another checkpoint are stale and go; a
    /// file of another problem is refused (nothing overwritten) unless <paramref name="recompute"/>;
    /// in the evaluations asked for, entries of other prompts go (a figure compares models on the same prompts).
    /// </summary>
    static MetricsFile Reusable(string path, int positions, string problemPart, HashSet<string> asked, string key, bool recompute, bool forRun)
    {
        var fresh = new MetricsFile();
        if (recompute || !File.Exists(path)) return fresh;
        var existing = MetricsFile.Load(path);
        var other = existing.Evaluations.SelectMany(e => e.Value.Values).Select(s => EvaluationKey.ProblemPartOf(s.EvaluatedOn))
            .FirstOrDefault(p => p != problemPart, problemPart);
        if (other != problemPart && !forRun)
            throw new InputException($"{path}: holds metrics of another problem ({other ?? "of unknown origin"}); nothing overwritten: write elsewhere, or recompute to replace them");
        existing.EnsurePositions(path, positions);
        foreach (var (evaluation, models) in existing.Evaluations)
            foreach (var (model, stats) in models)
                if (EvaluationKey.ProblemPartOf(stats.EvaluatedOn) == problemPart && (!asked.Contains(evaluation) || stats.EvaluatedOn == key))
                    fresh.Set(evaluation, model, stats);
        return fresh;
    }

    /// <summary>
    /// Per evaluation, the classical learners of its own class that <paramref name="models"/> lack:
    /// noisyLR's ridge at the Bayes-optimal penalty for a linear run, whose own class is noiseless.
    /// By default each is asked on its evaluation only; a model named with <c>--models</c> is asked on every one.
    /// </summary>
    static Dictionary<string, List<IPredictor>> OwnBaselines(IEnumerable<EvaluationSpec> evaluations, IReadOnlyList<IPredictor> models) =>
        evaluations.Select(e => (e.Name, Own: e.Task.Baselines().Where(b => models.All(m => m.Name != b.Name)).ToList()))
            .Where(e => e.Own.Count > 0).ToDictionary(e => e.Name, e => e.Own);

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
