
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
/// <para>
/// The rank is judged at the precision of the data, not of the solve: singular values below
/// <c>eps · max(i, d)</c> of the largest count as zero, with eps that of xs' dtype (float32's
/// 1.2e-7 for prompts), as numpy's <c>lstsq</c> does. A context that is exactly rank-deficient
/// before its values are rounded to float32 keeps a singular value of about 1e-9 after; judged at
/// float64's 2e-16 it would count, and the solution would divide by it (-4.4e7 where the
/// minimum-norm answer is 0.019).
/// </para>
/// </summary>
public sealed class LeastSquares : Baseline
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
        var eps = finfo(xs.dtype).eps;
        var predictions = new Tensor[n];
        predictions[0] = zeros(b, dtype: float64);
        for (int i = 1; i < n; i++)
        {
            var (context, query) = (x.narrow(1, 0, i), q.narrow(1, i, 1));
            // libtorch's gelsy keeps its column-pivot array (JPVT) uninitialised, so stale entries pin
            // columns in place; a pinned all-zero column (zero-padded dims, as the curriculum and
            // `icl predict` make) then makes it misjudge the rank and return a wrong solution, at
            // random (pytorch/pytorch#71222, #92537). The minimum-norm solution gives such columns
            // weight 0, so solving without them is the same solution, and safe.
            var used = context.abs().amax(new long[] { 0, 1 }).nonzero().view(-1);
            if (used.shape[0] < x.shape[2]) (context, query) = (context.index_select(2, used), query.index_select(2, used));
            var (w, _, _, _) = linalg.lstsq(context, y.narrow(1, 0, i), rcond: eps * Math.Max(i, context.shape[2]));   // [b, d, 1]
            predictions[i] = query.bmm(w).reshape(b);
        }
        return stack(predictions, 1).to(float32).to(xs.device).MoveToOuterDisposeScope();
    }
}
