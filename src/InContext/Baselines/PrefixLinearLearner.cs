using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Base of the linear learners fitted afresh on every prefix (least squares, ridge, gradient descent
/// from 0): it owns the loop "fit on the first i pairs, predict <c>query_i · w</c>" and the weights of a
/// whole context, in float64 on the CPU (the data are tiny; the result goes back to the device of xs).
/// A learner states only its fit.
/// </summary>
public abstract class PrefixLinearLearner : Baseline, ILinearLearner
{
    /// <summary>w <c>[b, d]</c> fitted on <paramref name="x"/> <c>[b, i, d]</c> and <paramref name="y"/> <c>[b, i]</c> (i ≥ 1; float64, CPU).</summary>
    protected abstract Tensor Fit(Tensor x, Tensor y);

    /// <inheritdoc/>
    public sealed override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(CPU).to(float64);
        var y = ys.detach().to(CPU).to(float64);
        var q = queries.detach().to(CPU).to(float64);
        var predictions = new Tensor[n];
        predictions[0] = zeros(b, dtype: float64);
        for (int i = 1; i < n; i++)
            predictions[i] = q.narrow(1, i, 1).bmm(Fit(x.narrow(1, 0, i), y.narrow(1, 0, i)).unsqueeze(-1)).reshape(b);
        return stack(predictions, 1).to(float32).to(xs.device).MoveToOuterDisposeScope();
    }

    /// <summary>The weights fitted on each prompt's k pairs (0 for k = 0), <c>[b, d]</c> float64 on the CPU.</summary>
    public Tensor Weights(Tensor xs, Tensor ys)
    {
        using var scope = NewDisposeScope();
        if (xs.shape[1] == 0) return zeros(xs.shape[0], xs.shape[2], dtype: float64).MoveToOuterDisposeScope();
        return Fit(xs.detach().to(CPU).to(float64), ys.detach().to(CPU).to(float64)).MoveToOuterDisposeScope();
    }
}
