using InContext.Sampling;
using InContext.Tasks;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>Evaluation settings: the paper's 1280 prompts in batches of 64.</summary>
public sealed record EvaluationSettings(int NumExamples = 1280, int BatchSize = 64, long Seed = 0)
{
    public int Batches => (NumExamples + BatchSize - 1) / BatchSize;
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
    public static void Run(
        IReadOnlyList<EvaluationSpec> evaluations,
        IReadOnlyList<IPredictor> predictors,
        int nDims, int nPoints,
        EvaluationSettings settings,
        MetricsFile into,
        Func<EvaluationSpec, IPredictor, bool>? needed = null,
        Action<EvaluationProgress>? progress = null)
    {
        var total = evaluations.Count * settings.Batches;
        var done = 0;
        foreach (var spec in evaluations)
        {
            var wanted = predictors.Where(p => needed?.Invoke(spec, p) ?? true).ToList();
            if (wanted.Count == 0) { done += settings.Batches; continue; }
            var metrics = wanted.ToDictionary(p => p.Name, _ => new List<Tensor>());
            var task = TaskRegistry.Create(spec.Task, new Config.Section("evaluation " + spec.Name, "task_kwargs", spec.TaskKwargs), nDims);
            if (spec.OutputNoise > 0) task = new NoisyOutputs(task, spec.OutputNoise);
            var sampler = new GaussianSampler(nDims, spec.InputScale, spec.InputBias);
            for (var batch = 0; batch < settings.Batches; batch++)
            {
                using var scope = NewDisposeScope();
                var size = Math.Min(settings.BatchSize, settings.NumExamples - batch * settings.BatchSize);
                using var g = new Generator(Training.TrainingData.StepSeed(settings.Seed, batch));
                var sampled = sampler.Sample(nPoints, size, g, spec.ActiveDims);
                var (xs, queries) = spec.Strategy.Build(sampled, g);
                using var functions = task.SampleFunctions(size, g, spec.ActiveDims ?? nDims);
                var ys = task.Evaluate(functions, xs, g);
                var targets = queries is null ? ys : task.Evaluate(functions, queries, g);
                foreach (var p in wanted)
                {
                    var predictions = queries is null ? p.Predict(xs, ys) : p.PredictQueries(xs, ys, queries);
                    metrics[p.Name].Add(task.Metric(predictions.cpu(), targets).detach().MoveToOuterDisposeScope());
                }
                progress?.Invoke(new EvaluationProgress(spec.Name, batch + 1, settings.Batches, ++done, total));
            }
            using var bootstrap = new Generator(Training.TrainingData.StepSeed(settings.Seed, -1));
            foreach (var p in wanted)
            {
                using var all = cat(metrics[p.Name].ToArray(), 0);
                into.Set(spec.Name, p.Name, Aggregation.Aggregate(all, bootstrap));
                foreach (var t in metrics[p.Name]) t.Dispose();
            }
        }
    }
}
