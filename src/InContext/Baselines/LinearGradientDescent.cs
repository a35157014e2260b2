using System.Globalization;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Gradient descent on the context's mean squared error <c>L(w) = |Xw − y|² / 2k</c>, started from
/// <c>w = 0</c>, for <see cref="Steps"/> steps of size <c>η = rate / λ_max</c>, where λ_max is the
/// largest eigenvalue of <c>XᵀX / k</c>; then <c>x · w</c>. One of Akyürek et al. (2023)'s reference
/// learners: few steps sit near averaging (one step is <c>η Xᵀy / k</c>), many steps reach
/// minimum-norm least squares. The step is relative to the context's own curvature because a fixed
/// step diverges at small k, where <c>XᵀX / k</c> has eigenvalues near d / k (rate &lt; 2 never diverges).
/// <para>
/// Computed in closed form rather than by iterating: in the eigenbasis of <c>H = XᵀX / k</c>,
/// <c>w_T = V diag((1 − (1 − ηλ)^T) / λ) Vᵀ Xᵀy / k</c> (<c>ηT</c> where λ = 0), which equals T steps
/// of <c>w ← w − η(Hw − Xᵀy / k)</c> and costs one eigendecomposition per prefix whatever T.
/// </para>
/// </summary>
public sealed class LinearGradientDescent : PrefixLinearLearner
{
    /// <summary>Gradient descent from zero for <paramref name="steps"/> steps at <paramref name="rate"/> / λ_max.</summary>
    /// <param name="steps">Steps, at least 1.</param>
    /// <param name="rate">The step relative to 1/λ_max, in (0, 2): 1 is the classical 1/L step.</param>
    public LinearGradientDescent(int steps, double rate)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one step");
        if (!(rate > 0 && rate < 2)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "rate must be in (0, 2)");
        Steps = steps;
        Rate = rate;
    }

    /// <summary>Gradient steps taken from w = 0.</summary>
    public int Steps { get; }
    /// <summary>The step size relative to 1/λ_max of the context.</summary>
    public double Rate { get; }

    /// <summary>The identifier of <paramref name="steps"/> steps at <paramref name="rate"/>, e.g. <c>gd_8_0.5</c>.</summary>
    public static string IdOf(int steps, double rate) => $"gd_{steps}_{rate.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The learner of an id <c>gd_&lt;steps&gt;_&lt;rate&gt;</c>; null when it is not one.</summary>
    public static LinearGradientDescent? TryParse(string id)
    {
        var parts = id.Split('_');
        if (parts.Length != 3 || parts[0] != "gd"
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var steps) || steps < 1
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || !(rate > 0 && rate < 2))
            return null;
        var learner = new LinearGradientDescent(steps, rate);
        return learner.Name == id ? learner : null;   // one id per learner: gd_08_0.50 is not gd_8_0.5
    }

    /// <inheritdoc/>
    public override string Name => IdOf(Steps, Rate);
    /// <inheritdoc/>
    public override string DisplayName => $"GD from 0 ({Steps} step{(Steps == 1 ? "" : "s")}, rate {Rate.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The closed form of T steps, <c>[b, d]</c>, from <paramref name="x"/> <c>[b, k, d]</c> and <paramref name="y"/> <c>[b, k]</c> (k ≥ 1, float64).</summary>
    protected override Tensor Fit(Tensor x, Tensor y)
    {
        var k = x.shape[1];
        var xt = x.transpose(1, 2);
        var (lambda, v) = linalg.eigh(xt.bmm(x) / k);                    // ascending, [b, d] and [b, d, d]
        var moment = xt.bmm(y.unsqueeze(-1)).squeeze(-1) / k;             // Xᵀy / k, [b, d]
        var top = lambda.narrow(1, lambda.shape[1] - 1, 1).clamp_min(1e-300);
        var eta = Rate / top;                                              // [b, 1]
        var flat = lambda <= top * 1e-12;                                  // no curvature: each step adds η · gradient
        var shrink = (1 - (1 - eta * lambda).pow(Steps)) / lambda.masked_fill(flat, 1);
        var factor = where(flat, eta * Steps, shrink);
        var z = v.transpose(1, 2).bmm(moment.unsqueeze(-1)).squeeze(-1);  // Vᵀ Xᵀy / k
        return v.bmm((factor * z).unsqueeze(-1)).squeeze(-1);
    }
}
