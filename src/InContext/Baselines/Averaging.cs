
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// The averaging estimator: w = mean over the first i pairs of y_j x_j, prediction x · w.
/// Batched through cumulative sums over positions.
/// </summary>
public sealed class Averaging : Baseline, ILinearLearner
{
    /// <summary>The identifier, <c>averaging</c>.</summary>
    public const string Id = "averaging";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Averaging";

    /// <inheritdoc/>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (_, n, _) = CheckShapes(xs, ys, queries);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(float64);
        var z = x * ys.detach().to(float64).unsqueeze(-1);
        var earlier = cat(new[] { zeros_like(z.narrow(1, 0, 1)), z.cumsum(1).narrow(1, 0, n - 1) }, 1);   // sum over j < i
        var count = arange(n, dtype: float64, device: xs.device).clamp_min(1).view(1, n, 1);
        var prediction = (queries.detach().to(float64) * (earlier / count)).sum(-1);                    // position 0: 0
        return prediction.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>The mean of <c>y_j x_j</c> over each prompt's k pairs (0 for k = 0), <c>[b, d]</c> float64 on the CPU.</summary>
    public Tensor Weights(Tensor xs, Tensor ys)
    {
        using var scope = NewDisposeScope();
        var z = xs.detach().to(CPU).to(float64) * ys.detach().to(CPU).to(float64).unsqueeze(-1);
        return (z.sum(1) / Math.Max(xs.shape[1], 1)).MoveToOuterDisposeScope();
    }
}
