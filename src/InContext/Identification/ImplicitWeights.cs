using InContext.Baselines;
using static TorchSharp.torch;

namespace InContext.Identification;

/// <summary>
/// The affine fit <c>f(x) ≈ x · ŵ + c</c> of a learner's answers at M query points after one context,
/// per prompt: ŵ (Akyürek et al. 2023's implicit linear weights) and the sums of squares that say how
/// well a linear function explains the answers.
/// </summary>
/// <param name="Weights">ŵ per prompt, <c>[b, dims]</c> float64.</param>
/// <param name="Residual">The residual sum of squares of the fit per prompt, <c>[b]</c>.</param>
/// <param name="Total">The answers' sum of squares about their mean per prompt, <c>[b]</c>.</param>
public sealed record ImplicitFit(Tensor Weights, Tensor Residual, Tensor Total);

/// <summary>
/// Reading a learner's in-context function as a linear one: ask it, after a context, for its
/// answers at M fresh queries and fit ŵ by least squares (with an intercept). For a linear learner
/// (<see cref="ILinearLearner"/>) the fit returns its own w exactly, so its w is used directly.
/// </summary>
public static class ImplicitWeights
{
    /// <summary>The least-squares fit of <paramref name="answers"/> <c>[b, M]</c> on <paramref name="queries"/> <c>[b, M, dims]</c> plus a constant (M &gt; dims + 1).</summary>
    public static ImplicitFit Fit(Tensor queries, Tensor answers)
    {
        using var scope = NewDisposeScope();
        var q = queries.detach().to(CPU).to(float64);
        var a = answers.detach().to(CPU).to(float64);
        var (b, m, dims) = (q.shape[0], q.shape[1], q.shape[2]);
        var design = cat(new[] { q, ones(b, m, 1, dtype: float64) }, 2);
        var (solution, _, _, _) = linalg.lstsq(design, a.unsqueeze(-1));   // [b, dims + 1, 1]
        var fitted = design.bmm(solution).squeeze(-1);
        var residual = (a - fitted).square().sum(1);
        var total = (a - a.mean(new long[] { 1 }, keepdim: true)).square().sum(1);
        return new ImplicitFit(solution.squeeze(-1).narrow(1, 0, dims).MoveToOuterDisposeScope(), residual.MoveToOuterDisposeScope(), total.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// <paramref name="learner"/>'s weights after each prompt's context (<paramref name="xs"/> <c>[b, k, d]</c>,
    /// <paramref name="ys"/> <c>[b, k]</c>) over the first <paramref name="dims"/> (active) input dims,
    /// <c>[b, dims]</c> float64: a linear learner's own w, any other's ŵ fitted at <paramref name="queries"/> <c>[b, M, d]</c>.
    /// </summary>
    public static Tensor Of(IPredictor learner, Tensor xs, Tensor ys, Tensor queries, int dims)
    {
        using var scope = NewDisposeScope();
        var w = learner is ILinearLearner linear ? linear.Weights(xs, ys)
            : Fit(queries.narrow(2, 0, dims), learner.PredictAtContext(xs, ys, queries)).Weights;
        return w.narrow(1, 0, dims).MoveToOuterDisposeScope();
    }
}
