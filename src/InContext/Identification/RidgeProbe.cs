using static TorchSharp.torch;

namespace InContext.Identification;

/// <summary>
/// A linear probe (Akyürek et al. 2023, section 5): ridge regression from a layer's hidden states
/// <c>[N, e]</c> to a target <c>[N, t]</c> (w, the least-squares weights, Xᵀy), scored by R² on prompts
/// it was not fitted on. Features are standardised on the training rows; the penalty is chosen from
/// <see cref="Penalties"/> (times the rows) by R² on the last fifth of the training rows, then the
/// probe is refitted on all of them. Written here because it is a few lines of linear algebra in
/// libtorch, on tensors the model already gives, where a machine-learning package would add a
/// dependency and copies for the same solve.
/// </summary>
public sealed class RidgeProbe : IDisposable
{
    /// <summary>The penalties tried, per training row (so the grid does not depend on how many prompts).</summary>
    public static readonly IReadOnlyList<double> Penalties = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

    readonly Tensor _mean, _scale, _weights, _targetMean;

    RidgeProbe(Tensor mean, Tensor scale, Tensor weights, Tensor targetMean, double penalty)
    {
        (_mean, _scale, _weights, _targetMean) = (mean, scale, weights, targetMean);
        Penalty = penalty;
    }

    /// <summary>The chosen penalty, per training row.</summary>
    public double Penalty { get; }

    /// <summary>Fits the probe on <paramref name="features"/> <c>[N, e]</c> and <paramref name="targets"/> <c>[N, t]</c> (N ≥ 5).</summary>
    public static RidgeProbe Fit(Tensor features, Tensor targets)
    {
        if (features.dim() != 2 || targets.dim() != 2 || features.shape[0] != targets.shape[0] || features.shape[0] < 5)
            throw new ArgumentException($"expected features [N, e] and targets [N, t] with N ≥ 5, got [{string.Join(", ", features.shape)}] and [{string.Join(", ", targets.shape)}]");
        using var scope = NewDisposeScope();
        var (f, t) = (features.detach().to(CPU).to(float64), targets.detach().to(CPU).to(float64));
        var n = f.shape[0];
        var held = Math.Max(1, n / 5);
        var (fitF, fitT, heldF, heldT) = (f.narrow(0, 0, n - held), t.narrow(0, 0, n - held), f.narrow(0, n - held, held), t.narrow(0, n - held, held));
        var best = Penalties.MaxBy(a =>
        {
            using var trial = NewDisposeScope();
            return Solve(fitF, fitT, a).Score(heldF, heldT);
        });
        var probe = Solve(f, t, best);
        probe._mean.MoveToOuterDisposeScope(); probe._scale.MoveToOuterDisposeScope();
        probe._weights.MoveToOuterDisposeScope(); probe._targetMean.MoveToOuterDisposeScope();
        return probe;
    }

    static RidgeProbe Solve(Tensor f, Tensor t, double penalty)
    {
        var mean = f.mean(new long[] { 0 });
        var scale = f.std(0).clamp_min(1e-12);                      // a constant feature stays 0 after standardising
        var z = (f - mean) / scale;
        var targetMean = t.mean(new long[] { 0 });
        var gram = z.t().matmul(z) + eye(z.shape[1], dtype: float64) * (penalty * f.shape[0]);
        var weights = linalg.solve(gram, z.t().matmul(t - targetMean));
        return new RidgeProbe(mean, scale, weights, targetMean, penalty);
    }

    /// <summary>The probe's predictions <c>[N, t]</c> for <paramref name="features"/> <c>[N, e]</c> (float64, CPU).</summary>
    public Tensor Predict(Tensor features)
    {
        using var scope = NewDisposeScope();
        var z = (features.detach().to(CPU).to(float64) - _mean) / _scale;
        return (z.matmul(_weights) + _targetMean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// R² on <paramref name="features"/> and <paramref name="targets"/>, pooled over the target's
    /// coordinates: <c>1 − Σ|t − t̂|² / Σ|t − t̄|²</c>, t̄ the training targets' mean (so a probe that has
    /// learnt nothing scores about 0, or below).
    /// </summary>
    public double Score(Tensor features, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var t = targets.detach().to(CPU).to(float64);
        var residual = (t - Predict(features)).square().sum().item<double>();
        var total = (t - _targetMean).square().sum().item<double>();
        return total > 0 ? 1 - residual / total : double.NaN;
    }

    /// <summary>Frees the probe's tensors.</summary>
    public void Dispose()
    {
        _mean.Dispose(); _scale.Dispose(); _weights.Dispose(); _targetMean.Dispose();
    }
}
