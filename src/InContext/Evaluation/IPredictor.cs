using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Evaluation;

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
}
