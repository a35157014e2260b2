using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>Evaluation settings: the paper's 1280 prompts in batches of 64.</summary>
public sealed record EvaluationSettings(int NumExamples = 1280, int BatchSize = 64, long Seed = 0)
{
    /// <summary>The number of batches, the last one possibly short.</summary>
    public int Batches => (NumExamples + BatchSize - 1) / BatchSize;

    /// <summary>The prompts in batch <paramref name="batch"/>: the batch size, or what is left for the last.</summary>
    public int Size(int batch) => Math.Min(BatchSize, NumExamples - batch * BatchSize);
}

/// <summary>Progress of an evaluation, for bars: one tick per (evaluation, batch).</summary>
public sealed record EvaluationProgress(string Evaluation, int Batch, int Batches, int Done, int Total);

/// <summary>
/// The paper's <c>eval_model</c>: for each evaluation, draws prompts of <c>n_points</c> points,
/// asks every predictor for every position, and aggregates the metric per position. All
/// predictors see the very same prompts, and every evaluation draws from the same seeds (one per
/// batch): a shift is then compared on paired prompts (scale-y=3 is exactly 9 times the
/// standard error of least squares, not 9 times up to sampling noise), so curves differ only
/// by the learner and the shift.
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates every predictor on every evaluation and sets each result in <paramref name="into"/>.</summary>
    /// <param name="evaluations">The evaluations, in order.</param>
    /// <param name="predictors">The models and baselines to ask.</param>
    /// <param name="nPoints">Points per prompt.</param>
    /// <param name="settings">How many prompts, in what batches, from which seed.</param>
    /// <param name="into">The metrics file the results are set in (not written to disk here).</param>
    /// <param name="needed">Which (evaluation, predictor) pairs to run; null: all.</param>
    /// <param name="progress">Called after each batch of each evaluation.</param>
    /// <param name="evaluatedOn">The key recorded with each entry (<see cref="EvaluationKey"/>).</param>
    public static void Run(
        IReadOnlyList<EvaluationSpec> evaluations,
        IReadOnlyList<IPredictor> predictors,
        int nPoints,
        EvaluationSettings settings,
        MetricsFile into,
        Func<EvaluationSpec, IPredictor, bool>? needed = null,
        Action<EvaluationProgress>? progress = null,
        string? evaluatedOn = null)
    {
        var total = evaluations.Count * settings.Batches;
        var done = 0;
        foreach (var spec in evaluations)
        {
            var wanted = predictors.Where(p => needed?.Invoke(spec, p) ?? true).ToList();
            if (wanted.Count == 0) { done += settings.Batches; continue; }
            var metrics = wanted.ToDictionary(p => p.Name, _ => new List<Tensor>());
            var task = spec.Task;
            for (var batch = 0; batch < settings.Batches; batch++)
            {
                using var scope = NewDisposeScope();
                using var g = new Generator(Seeds.Batch(settings.Seed, batch));
                using var prompts = spec.Draw(nPoints, settings.Size(batch), g);
                foreach (var p in wanted)
                {
                    var predictions = prompts.Predict(p);
                    var metric = task.Metric(predictions.cpu(), prompts.Targets).detach();
                    if (!metric.isfinite().all().item<bool>())
                        throw new InputException($"model {p.Name} predicted NaN or infinity on evaluation '{spec.Name}' (prompts {batch * settings.BatchSize + 1}-{batch * settings.BatchSize + settings.Size(batch)}); "
                                                 + (p.Name.StartsWith(Models.InContextTransformer.Id, StringComparison.Ordinal) ? "its weights may have diverged" : "the inputs may be too large for float32") + "; nothing was written");
                    metrics[p.Name].Add(metric.MoveToOuterDisposeScope());
                }
                progress?.Invoke(new EvaluationProgress(spec.Name, batch + 1, settings.Batches, ++done, total));
            }
            foreach (var p in wanted)
            {
                // Each model's resamples from the seed afresh: its interval does not depend on which
                // models were asked before it (a pack's runs share one pass, a file reuses some entries).
                using var bootstrap = new Generator(Seeds.Bootstrap(settings.Seed));
                using var all = cat(metrics[p.Name].ToArray(), 0);
                into.Set(spec.Name, p.Name, Aggregation.Aggregate(all, bootstrap) with { EvaluatedOn = evaluatedOn });
                foreach (var t in metrics[p.Name]) t.Dispose();
            }
        }
    }
}
