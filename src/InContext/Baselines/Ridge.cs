using System.Globalization;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Ridge regression on the first i pairs, <c>w = (XᵀX + αI)⁻¹Xᵀy</c>, predicting <c>x·w</c>. With
/// <c>α</c> the noise variance it is the posterior mean of w under the prior <c>N(0, I)</c>: the
/// Bayes-optimal predictor for <c>noisy_linear_regression</c> (and, as α → 0, least squares).
/// Batched over prompts, one solve per position, in float64 on the CPU as least squares.
/// </summary>
public sealed class Ridge : Baseline, ILinearLearner
{
    /// <summary>Ridge regression with penalty <paramref name="alpha"/>.</summary>
    /// <param name="alpha">The L2 penalty α, positive and finite (the noise variance for the Bayes-optimal predictor).</param>
    public Ridge(double alpha)
    {
        if (!(alpha > 0 && double.IsFinite(alpha))) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive");
        Alpha = alpha;
    }

    /// <summary>The L2 penalty α.</summary>
    public double Alpha { get; }

    /// <summary>The identifier of ridge with penalty <paramref name="alpha"/>, e.g. <c>ridge_0.25</c>.</summary>
    public static string IdOf(double alpha) => $"ridge_{alpha.ToString(CultureInfo.InvariantCulture)}";
    /// <inheritdoc/>
    public override string Name => IdOf(Alpha);
    /// <inheritdoc/>
    public override string DisplayName => $"Ridge (alpha={Alpha.ToString(CultureInfo.InvariantCulture)})";

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
            predictions[i] = q.narrow(1, i, 1).bmm(Fit(x.narrow(1, 0, i), y.narrow(1, 0, i))).reshape(b);
        return stack(predictions, 1).to(float32).to(xs.device).MoveToOuterDisposeScope();
    }

    /// <summary>The ridge weights <c>(XᵀX + αI)⁻¹Xᵀy</c> of each prompt's k pairs (0 for k = 0), <c>[b, d]</c> float64 on the CPU.</summary>
    public Tensor Weights(Tensor xs, Tensor ys)
    {
        using var scope = NewDisposeScope();
        return Fit(xs.detach().to(CPU).to(float64), ys.detach().to(CPU).to(float64).unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary><c>(XᵀX + αI)⁻¹Xᵀy</c>, <c>[b, d, 1]</c>, of <paramref name="context"/> <c>[b, i, d]</c> and <paramref name="y"/> <c>[b, i, 1]</c> (float64, CPU).</summary>
    Tensor Fit(Tensor context, Tensor y)
    {
        using var penalty = eye(context.shape[2], dtype: float64).mul_(Alpha);
        var xt = context.transpose(1, 2);
        return linalg.solve(xt.bmm(context) + penalty, xt.bmm(y));
    }
}
