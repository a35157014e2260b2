using TorchSharp;
using static TorchSharp.torch;

namespace InContext;

/// <summary>
/// Anything that predicts in context: the transformer and every classical baseline share
/// this one interface, so the evaluator never knows which it talks to.
/// </summary>
public interface IPredictor
{
    /// <summary>Stable identifier used in metrics.json (e.g. <c>least_squares</c>, <c>lasso_0.01</c>).</summary>
    string Name { get; }

    /// <summary>Human name as in the paper's plots (e.g. "Least Squares").</summary>
    string DisplayName { get; }

    /// <summary>
    /// Predicts every position of every prompt. <paramref name="xs"/> is <c>[b, n, d]</c>,
    /// <paramref name="ys"/> is <c>[b, n]</c>; the result is <c>[b, n]</c> (float32, on the
    /// device of <paramref name="xs"/>), where entry <c>[p, i]</c> uses only the pairs
    /// <c>0..i-1</c> of prompt <c>p</c> and the query <c>xs[p, i]</c>. Position 0 (no
    /// examples) predicts 0 for the baselines.
    /// </summary>
    Tensor Predict(Tensor xs, Tensor ys);

    /// <summary>
    /// The last position alone, <c>[b]</c>: query <c>xs[p, n-1]</c> from the first <c>n-1</c> pairs,
    /// entry <c>[p, n-1]</c> of <see cref="Predict"/> (for a learner with randomness of its own,
    /// the GD net, the same learner from another seeded start). This is what a context of one's own asks
    /// (<c>Evaluation.ContextPrediction</c>); learners that fit per prefix override it to fit once
    /// instead of n times.
    /// </summary>
    Tensor PredictLast(Tensor xs, Tensor ys) => LastOf(Predict(xs, ys));

    /// <summary>Column <c>n-1</c> of <c>[b, n]</c> predictions, which it disposes.</summary>
    static Tensor LastOf(Tensor predictions)
    {
        using (predictions)
        using (var last = predictions.select(1, predictions.shape[1] - 1))
            return last.clone();
    }

    /// <summary>
    /// Many queries of one context: entry <c>[p, m]</c> predicts <paramref name="queries"/>
    /// <c>[b, M, d]</c> entry <c>[p, m]</c> from all <c>k</c> pairs of prompt <c>p</c>
    /// (<paramref name="xs"/> <c>[b, k, d]</c>, <paramref name="ys"/> <c>[b, k]</c>; k may be 0), as
    /// position <c>k</c> of a prompt of those pairs then the query would be read. The default builds
    /// that prompt for every query (through <see cref="PredictLast"/>); the transformer and the linear
    /// learners answer all queries of a context at once.
    /// </summary>
    Tensor PredictAtContext(Tensor xs, Tensor ys, Tensor queries)
    {
        using var scope = NewDisposeScope();
        var (b, k, m, d) = (xs.shape[0], xs.shape[1], queries.shape[1], xs.shape[2]);
        var contextXs = xs.unsqueeze(1).expand(b, m, k, d).reshape(b * m, k, d);
        var prompts = cat(new[] { contextXs, queries.reshape(b * m, 1, d).to(xs.dtype) }, 1);
        // The query's y is unknown; position k never reads it.
        var promptYs = cat(new[] { ys.unsqueeze(1).expand(b, m, k).reshape(b * m, k), zeros(b * m, 1, dtype: ys.dtype, device: ys.device) }, 1);
        // In parts, so the per-query prompts of a long context stay a bounded size.
        const long PromptsPerCall = 4096;
        var parts = new List<Tensor>();
        for (long start = 0; start < b * m; start += PromptsPerCall)
        {
            var count = Math.Min(PromptsPerCall, b * m - start);
            parts.Add(PredictLast(prompts.narrow(0, start, count), promptYs.narrow(0, start, count)));
        }
        return cat(parts.ToArray(), 0).view(b, m).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Predicts, for every position <c>i</c>, the query <c>queries[:, i]</c> from the first
    /// <c>i</c> pairs of (<paramref name="xs"/>, <paramref name="ys"/>): the prompting strategies
    /// whose queries differ from the in-context points. The default makes one prompt per
    /// position (<c>xs[:, :i]</c> then the query), as the paper's evaluator does; predictors
    /// that can do better override it.
    /// </summary>
    Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        using var scope = NewDisposeScope();
        var n = xs.shape[1];
        var columns = new Tensor[n];
        for (var i = 0; i < n; i++)
        {
            var prompt = cat(new[] { xs.narrow(1, 0, i), queries.narrow(1, i, 1) }, 1);
            columns[i] = Predict(prompt, ys.narrow(1, 0, i + 1)).narrow(1, i, 1);
        }
        return cat(columns, 1).MoveToOuterDisposeScope();
    }
}
