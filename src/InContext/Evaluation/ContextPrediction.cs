using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// Predicting queries from one given context, with any <see cref="IPredictor"/>: the prompt of
/// query <c>q</c> is the context's <c>k</c> pairs followed by <c>x_q</c> at position <c>k</c>, and
/// its prediction is that of position <c>k</c>, exactly as the evaluator reads position <c>k</c> of
/// a prompt (through <see cref="IPredictor.PredictLast"/>, so per-prefix learners fit once). One prompt per (context, query), batched; <c>icl predict</c> and
/// <c>InContextRegressor</c> both go through here.
/// </summary>
public static class ContextPrediction
{
    /// <summary>Prompts per call of the predictor: bounds the transformer's activations (~100 MB at 256 embd, 101 points).</summary>
    public const int PromptsPerCall = 128;

    /// <summary>
    /// Predictions <c>[Q]</c> for <paramref name="queries"/> <c>[Q, d]</c> from the context
    /// <paramref name="contextXs"/> <c>[k, d]</c>, <paramref name="contextYs"/> <c>[k]</c>.
    /// </summary>
    public static Tensor Predict(IPredictor predictor, Tensor contextXs, Tensor contextYs, Tensor queries)
    {
        using var scope = NewDisposeScope();   // holds the temporaries through the native calls that read them
        return PredictPerContext(predictor, contextXs.unsqueeze(0), contextYs.unsqueeze(0), queries)[0].clone().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Predictions <c>[C, Q]</c>: entry <c>[c, q]</c> predicts query <c>q</c> (<paramref name="queries"/>
    /// <c>[Q, d]</c>) from context <c>c</c> (<paramref name="contextXs"/> <c>[C, k, d]</c>,
    /// <paramref name="contextYs"/> <c>[C, k]</c>), e.g. one context per order of the same pairs.
    /// </summary>
    public static Tensor PredictPerContext(IPredictor predictor, Tensor contextXs, Tensor contextYs, Tensor queries)
    {
        if (contextXs.dim() != 3 || contextYs.dim() != 2 || queries.dim() != 2 || contextXs.shape[0] != contextYs.shape[0]
            || contextXs.shape[1] != contextYs.shape[1] || contextXs.shape[2] != queries.shape[1])
            throw new ArgumentException($"expected contexts [C, k, d], [C, k] and queries [Q, d], got [{string.Join(", ", contextXs.shape)}], [{string.Join(", ", contextYs.shape)}] and [{string.Join(", ", queries.shape)}]");
        using var scope = NewDisposeScope();
        var (c, k, q) = (contextXs.shape[0], contextXs.shape[1], queries.shape[0]);
        var total = c * q;
        var parts = new List<Tensor>();
        for (long start = 0; start < total; start += PromptsPerCall)
        {
            var prompts = arange(start, Math.Min(start + PromptsPerCall, total), dtype: int64);
            var context = prompts.div(q, RoundingMode.floor);
            var query = prompts.remainder(q);
            var xs = cat(new[] { contextXs.index_select(0, context), queries.index_select(0, query).unsqueeze(1) }, 1);
            // The query's y is unknown; position k never sees it (every learner reads pairs < k only).
            var ys = cat(new[] { contextYs.index_select(0, context), zeros(prompts.shape[0], 1, dtype: contextYs.dtype) }, 1);
            parts.Add(predictor.PredictLast(xs, ys).cpu());
        }
        return cat(parts.ToArray(), 0).view(c, q).MoveToOuterDisposeScope();
    }
}
