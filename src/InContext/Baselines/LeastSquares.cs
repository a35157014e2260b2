
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
public sealed class LeastSquares : PrefixLinearLearner
{
    /// <summary>The identifier, <c>least_squares</c>.</summary>
    public const string Id = "least_squares";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Least Squares";

    /// <summary>The minimum-norm least-squares w, <c>[b, d]</c>.</summary>
    protected override Tensor Fit(Tensor x, Tensor y)
    {
        // libtorch's gelsy keeps its column-pivot array (JPVT) uninitialised, so stale entries pin
        // columns in place; a pinned all-zero column (zero-padded dims, as the curriculum and
        // `icl predict` make) then makes it misjudge the rank and return a wrong solution, at
        // random (pytorch/pytorch#71222, #92537). The minimum-norm solution gives such columns
        // weight 0, so solving without them and putting 0 there is the same solution, and safe.
        var used = x.abs().amax(new long[] { 0, 1 }).nonzero().view(-1);
        // Prompts are float32: that is the precision the rank is judged at.
        var rcond = finfo(float32).eps * Math.Max(x.shape[1], used.shape[0]);
        if (used.shape[0] == x.shape[2]) return linalg.lstsq(x, y.unsqueeze(-1), rcond: rcond).Solution.squeeze(-1);
        var weights = zeros(x.shape[0], x.shape[2], dtype: float64);
        if (used.shape[0] == 0) return weights;   // every input 0: nothing to fit, the minimum norm is 0
        return weights.index_copy_(1, used, linalg.lstsq(x.index_select(2, used), y.unsqueeze(-1), rcond: rcond).Solution.squeeze(-1));
    }
}
