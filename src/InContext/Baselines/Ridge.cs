using System.Globalization;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Ridge regression on the first i pairs, <c>w = (XᵀX + αI)⁻¹Xᵀy</c>, predicting <c>x·w</c>. With
/// <c>α</c> the noise variance it is the posterior mean of w under the prior <c>N(0, I)</c>: the
/// Bayes-optimal predictor for <c>noisy_linear_regression</c> (and, as α → 0, least squares).
/// Batched over prompts, one solve per position, in float64 on the CPU as least squares.
/// </summary>
public sealed class Ridge : PrefixLinearLearner
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

    /// <summary><c>(XᵀX + αI)⁻¹Xᵀy</c>, <c>[b, d]</c>.</summary>
    protected override Tensor Fit(Tensor x, Tensor y)
    {
        using var penalty = eye(x.shape[2], dtype: float64).mul_(Alpha);
        var xt = x.transpose(1, 2);
        return linalg.solve(xt.bmm(x) + penalty, xt.bmm(y.unsqueeze(-1))).squeeze(-1);
    }
}
