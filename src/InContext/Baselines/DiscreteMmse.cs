using System.Globalization;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// dMMSE (Raventós et al. 2023): the Bayes estimator of a model trained on a finite pool of K
/// weight vectors (<c>num_tasks</c>). Its prior is uniform over the pool, its likelihood Gaussian,
/// <c>y = x · w_j + N(0, σ²)</c>, so after k pairs the posterior weighs pool member j by
/// <c>exp(−Σ_t (y_t − x_t · w_j)² / 2σ²)</c> and the prediction is <c>x · Σ_j p_j w_j</c>: a linear
/// learner whose w is the posterior mean over the pool. Position 0 (no examples) predicts with the
/// pool's mean, the posterior mean before any data (the other baselines predict 0 there).
/// <para>
/// σ² = 0 (a noiseless task) is the limit σ² → 0: the posterior puts equal weight on the members
/// whose residual is smallest, which for noiseless data is the member that generated it (the only
/// one fitting the context exactly, almost surely, once k ≥ 1). Any positive σ² there would be a
/// choice of ours, not the task's.
/// </para>
/// The pool comes from the run (its <c>FunctionPool</c>, above this layer), as weights.
/// </summary>
public sealed class DiscreteMmse : Baseline, ILinearLearner
{
    readonly Tensor _pool;   // [K, d] float64, CPU

    /// <summary>The identifier, <c>dmmse</c>.</summary>
    public const string Id = "dmmse";

    /// <summary>The display name of the learner (also for an id read back from metrics.json).</summary>
    public const string Display = "dMMSE (task pool)";

    /// <summary>The posterior mean over <paramref name="poolWeights"/> <c>[K, d]</c> with noise variance <paramref name="noiseVariance"/>.</summary>
    /// <param name="poolWeights">The pool's weight vectors, one row each (copied).</param>
    /// <param name="noiseVariance">σ² of the Gaussian likelihood, ≥ 0 (0: the noiseless limit).</param>
    public DiscreteMmse(Tensor poolWeights, double noiseVariance)
    {
        if (poolWeights.dim() != 2 || poolWeights.shape[0] < 1)
            throw new ArgumentException($"expected pool weights [K, d] with K ≥ 1, got [{string.Join(", ", poolWeights.shape)}]", nameof(poolWeights));
        if (!(noiseVariance >= 0 && double.IsFinite(noiseVariance)))
            throw new ArgumentOutOfRangeException(nameof(noiseVariance), noiseVariance, "the noise variance must be finite and ≥ 0");
        using (NewDisposeScope())
            _pool = poolWeights.detach().to(CPU).to(float64).clone().DetachFromDisposeScope();
        NoiseVariance = noiseVariance;
    }

    /// <summary>How many weight vectors the pool holds (K).</summary>
    public int PoolSize => (int)_pool.shape[0];
    /// <summary>σ² of the likelihood.</summary>
    public double NoiseVariance { get; }

    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => Display;

    /// <summary>Prompts per block of the posterior, so that each <c>[prompts, n, K]</c> tensor stays near 4M numbers (32 MB) for a pool of 2¹⁴.</summary>
    const long BlockElements = 1L << 22;

    /// <inheritdoc/>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, d) = CheckShapes(xs, ys, queries);
        CheckDims(d);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(CPU).to(float64);
        var y = ys.detach().to(CPU).to(float64);
        var q = queries.detach().to(CPU).to(float64);
        var per = Math.Max(1, BlockElements / ((long)n * PoolSize));
        var parts = new List<Tensor>();
        for (long start = 0; start < b; start += per)
        {
            var count = Math.Min(per, b - start);
            var residuals = (y.narrow(0, start, count).unsqueeze(-1) - x.narrow(0, start, count).matmul(_pool.t())).square();   // [c, n, K]
            // Position i weighs the members by the pairs before it: an exclusive running sum.
            var before = residuals.cumsum(1) - residuals;
            var posterior = Posterior(before);
            parts.Add((posterior * q.narrow(0, start, count).matmul(_pool.t())).sum(-1));
        }
        return cat(parts.ToArray(), 0).to(float32).to(xs.device).MoveToOuterDisposeScope();
    }

    /// <summary>The posterior mean of w after all k pairs of each prompt, <c>[b, d]</c> float64 on the CPU (the pool's mean for k = 0).</summary>
    public Tensor Weights(Tensor xs, Tensor ys)
    {
        CheckDims(xs.shape[2]);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(CPU).to(float64);
        var y = ys.detach().to(CPU).to(float64);
        var residuals = (y.unsqueeze(-1) - x.matmul(_pool.t())).square().sum(1);   // [b, K]
        return Posterior(residuals).matmul(_pool).MoveToOuterDisposeScope();
    }

    /// <summary>Posterior weights over the pool (last dim) from the summed squared residuals.</summary>
    Tensor Posterior(Tensor residuals)
    {
        if (NoiseVariance > 0) return (residuals / (-2 * NoiseVariance)).softmax(-1);
        var best = residuals.eq(residuals.amin(new long[] { -1 }, keepdim: true)).to(float64);
        return best / best.sum(-1, keepdim: true);
    }

    void CheckDims(long d)
    {
        if (d != _pool.shape[1])
            throw new ArgumentException($"prompts have {d} dims; the pool's weights have {_pool.shape[1]}");
    }

    /// <summary>A one-line description: pool size and noise variance.</summary>
    public override string ToString() => $"dMMSE over {PoolSize} tasks, σ² = {NoiseVariance.ToString("G4", CultureInfo.InvariantCulture)}";
}
