using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// Per-position statistics of a metric over prompts, as the paper's <c>aggregate_metrics</c>:
/// mean, unbiased std, and a bootstrap 90% interval of the mean (1000 resamples of the prompts;
/// the 5th and 95th percentiles of the sorted resampled means).
/// </summary>
public static class Aggregation
{
    /// <summary>The statistics per position of <paramref name="metrics"/> (<c>[prompts, positions]</c>), resampling with <paramref name="generator"/> <paramref name="trials"/> times.</summary>
    public static PositionStats Aggregate(Tensor metrics, Generator generator, int trials = 1000)
    {
        using var scope = NewDisposeScope();
        var m = metrics.to(float64).cpu();
        var n = m.shape[0];
        var mean = m.mean(new long[] { 0 });
        var std = n > 1 ? m.std(0, unbiased: true) : zeros_like(mean);
        var indices = randint(0, n, new long[] { trials, n }, dtype: int64, generator: generator);
        // Each resample as counts per prompt, so its mean is one row of a matrix product
        // (indexing would materialise trials × prompts × positions values).
        var counts = zeros(new long[] { trials, n }, dtype: float64).scatter_add_(1, indices, ones(new long[] { trials, n }, dtype: float64));
        var means = counts.matmul(m).div_(n).sort(0).Values;
        return new PositionStats(
            Values(mean), Values(std),
            Values(means[(int)(0.05 * trials)]), Values(means[(int)(0.95 * trials)]));
    }

    static double[] Values(Tensor t) => t.data<double>().ToArray();
}
