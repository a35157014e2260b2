
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Ordinary least squares on the first i pairs, the minimum-norm solution when i &lt; d.
/// Batched over all prompts: one <c>torch.linalg.lstsq</c> call per position, on the CPU in
/// float64, where lstsq uses LAPACK's gelsy (complete orthogonal factorisation, which returns the
/// minimum-norm solution of a rank-deficient system; CUDA's gels does not). float64 keeps the
/// ill-conditioned positions near i = d from being dominated by rounding. The data are tiny, so
/// the copy to the CPU costs nothing; the result goes back to the device of xs.
/// lstsq rather than pinv (SVD): several times faster (docs/performance.md, "Choices").
/// </summary>
public sealed class LeastSquares : Baseline, ILinearLearner
{
    /// <summary>The identifier, <c>least_squares</c>.</summary>
    public const string Id = "least_squares";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Least Squares";

    /// <inheritdoc/>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(CPU).to(float64);
        var y = ys.detach().to(CPU).to(float64).unsqueeze(-1);
        var q = queries.detach().to(CPU).to(float64);
        var predictions = new Tensor[n];
        predictions[0] = zeros(b, dtype: float64);
        for (int i = 1; i < n; i++)
        {
            var (used, w) = Fit(x.narrow(1, 0, i), y.narrow(1, 0, i));
            var query = q.narrow(1, i, 1);
            predictions[i] = (used is null ? query : query.index_select(2, used)).bmm(w).reshape(b);
        }
        return stack(predictions, 1).to(float32).to(xs.device).MoveToOuterDisposeScope();
    }

    /// <summary>The minimum-norm least-squares weights of each prompt's k pairs (0 for k = 0), <c>[b, d]</c> float64 on the CPU.</summary>
    public Tensor Weights(Tensor xs, Tensor ys)
    {
        using var scope = NewDisposeScope();
        var (b, k, d) = (xs.shape[0], xs.shape[1], xs.shape[2]);
        var weights = zeros(b, d, dtype: float64);
        if (k == 0) return weights.MoveToOuterDisposeScope();
        var (used, w) = Fit(xs.detach().to(CPU).to(float64), ys.detach().to(CPU).to(float64).unsqueeze(-1));
        if (used is null) return w.squeeze(-1).MoveToOuterDisposeScope();
        return weights.index_copy_(1, used, w.squeeze(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The least-squares w <c>[b, d', 1]</c> of <paramref name="context"/> <c>[b, i, d]</c> and
    /// <paramref name="y"/> <c>[b, i, 1]</c> (float64, CPU), over the columns <c>used</c> (null: all).
    /// </summary>
    static (Tensor? used, Tensor w) Fit(Tensor context, Tensor y)
    {
        // libtorch's gelsy keeps its column-pivot array (JPVT) uninitialised, so stale entries pin
        // columns in place; a pinned all-zero column (zero-padded dims, as the curriculum and
        // `icl predict` make) then makes it misjudge the rank and return a wrong solution, at
        // random (pytorch/pytorch#71222, #92537). The minimum-norm solution gives such columns
        // weight 0, so solving without them is the same solution, and safe.
        Tensor? used = context.abs().amax(new long[] { 0, 1 }).nonzero().view(-1);
        if (used.shape[0] < context.shape[2]) context = context.index_select(2, used);
        else used = null;
        var (w, _, _, _) = linalg.lstsq(context, y);   // [b, d', 1]
        return (used, w);
    }
}
