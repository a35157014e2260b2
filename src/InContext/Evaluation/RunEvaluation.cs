using InContext.Baselines;
using InContext.Config;
using InContext.Training;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>What to evaluate: which evaluations and models (null: all that apply), how many prompts.</summary>
public sealed record EvaluationRequest(
    IReadOnlyList<string>? Strategies = null,
    IReadOnlyList<string>? Models = null,
    bool Recompute = false,
    EvaluationSettings? Settings = null,
    int? Step = null);

/// <summary>
/// Evaluates a run (its transformer and its task's baselines) or the baselines alone, into a
/// <c>metrics.json</c>. An existing file newer than the checkpoint is reused: only the missing
/// (evaluation, model) pairs are computed. The file is replaced atomically.
/// </summary>
public static class RunEvaluation
{
    /// <summary>The problem of an evaluation: task, dimension, prompt length.</summary>
    public sealed record Problem(string Task, Dictionary<string, object?> TaskKwargs, int NDims, int NPoints);

    public static Problem ProblemOf(RunConfig config) =>
        new(config.Training.Task, config.Training.TaskKwargs, config.Model.NDims, config.Training.Curriculum.Points.End);

    /// <summary>Evaluates a trained run; writes and returns its metrics.json.</summary>
    public static MetricsFile EvaluateRun(RunFolder run, EvaluationRequest request, Device? device = null, Action<EvaluationProgress>? progress = null)
    {
        var config = run.LoadConfig();
        var checkpoint = run.CheckpointPath(request.Step);
        var metricsPath = request.Step is { } s ? Path.Combine(run.Path, $"metrics_{s}.json") : run.MetricsPath;
        using var model = run.LoadModel(device, request.Step);
        var existing = ReusableMetrics(metricsPath, File.GetLastWriteTimeUtc(checkpoint), request.Recompute);
        return Evaluate(ProblemOf(config), model, request, metricsPath, existing, progress);
    }

    /// <summary>Evaluates the classical learners alone on a problem; writes and returns the metrics.json at <paramref name="metricsPath"/>.</summary>
    public static MetricsFile EvaluateBaselines(Problem problem, EvaluationRequest request, string metricsPath, Action<EvaluationProgress>? progress = null)
    {
        if (request.Models?.Contains(Evaluation.ModelNames.Transformer) == true)
            throw new InputException("--models transformer: needs a run folder (icl eval RUN_DIR); without one only baselines are evaluated");
        var existing = ReusableMetrics(metricsPath, DateTime.MinValue, request.Recompute);
        return Evaluate(problem, null, request, metricsPath, existing, progress);
    }

    static MetricsFile Evaluate(Problem problem, IPredictor? transformer, EvaluationRequest request, string metricsPath, MetricsFile existing, Action<EvaluationProgress>? progress)
    {
        var settings = request.Settings ?? new EvaluationSettings();
        var evaluations = SelectEvaluations(problem, request.Strategies, settings.Seed);
        var predictors = SelectModels(problem, transformer, request.Models);
        Evaluator.Run(evaluations, predictors, problem.NDims, problem.NPoints, settings, existing,
            needed: (e, p) => !(existing.Evaluations.TryGetValue(e.Name, out var m) && m.ContainsKey(p.Name)),
            progress: progress);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(metricsPath))!);
        existing.Save(metricsPath);
        return existing;
    }

    /// <summary>The existing metrics when they can be reused, else an empty file.</summary>
    static MetricsFile ReusableMetrics(string path, DateTime checkpointTime, bool recompute)
    {
        if (recompute || !File.Exists(path) || File.GetLastWriteTimeUtc(path) < checkpointTime) return new MetricsFile();
        try { return MetricsFile.Load(path); }
        catch (InvalidDataException e) { throw new InputException($"{e.Message}; fix or delete it, or pass --recompute"); }
    }

    public static List<EvaluationSpec> SelectEvaluations(Problem problem, IReadOnlyList<string>? names, long seed = 0)
    {
        var all = Evaluations.For(problem.Task, problem.TaskKwargs, problem.NDims, seed);
        if (names is null || names.Count == 0) return all;
        var known = Evaluations.For("linear_regression", new(), problem.NDims, seed).Select(e => e.Name).Append("linear_regression").ToHashSet();
        foreach (var n in names)
        {
            if (!known.Contains(n))
                throw new InputException($"--strategies: unknown evaluation '{n}' (valid: {string.Join(", ", all.Select(e => e.Name))})");
            if (all.All(e => e.Name != n))
                throw new InputException($"--strategies: '{n}' does not apply to {problem.Task} (valid for it: {string.Join(", ", all.Select(e => e.Name))})");
        }
        return all.Where(e => names.Contains(e.Name)).ToList();
    }

    public static List<IPredictor> SelectModels(Problem problem, IPredictor? transformer, IReadOnlyList<string>? names)
    {
        var defaults = new List<IPredictor>();
        if (transformer != null) defaults.Add(transformer);
        defaults.AddRange(BaselineSet.For(problem.Task, problem.NDims));
        if (names is null || names.Count == 0) return defaults;
        var chosen = new List<IPredictor>();
        foreach (var n in names)
        {
            if (n == Evaluation.ModelNames.Transformer)
            {
                chosen.Add(transformer ?? throw new InputException("--models transformer: needs a run folder"));
                continue;
            }
            try { chosen.Add(defaults.FirstOrDefault(p => p.Name == n) ?? BaselineSet.ByName(n)); }
            catch (ArgumentException)
            {
                throw new InputException($"--models: unknown model '{n}' (valid: {(transformer != null ? "transformer, " : "")}{string.Join(", ", BaselineSet.Ids)})");
            }
        }
        return chosen;
    }
}
