namespace InContext;

/// <summary>
/// Every random stream of a run or an evaluation comes from one user seed through here, so that
/// each stream depends on nothing but its seed and its index: the batch of training step t is
/// the same whether the run was resumed or not, and every evaluation of one seed draws the same
/// prompts.
/// </summary>
public static class Seeds
{
    /// <summary>A well-mixed 64-bit seed for (seed, index) (SplitMix64's finaliser).</summary>
    public static ulong Mix(long seed, long index)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)(index + 1) * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The batch of training step <paramref name="step"/>, or of evaluation batch <paramref name="step"/>.</summary>
    public static ulong Batch(long seed, long step) => Mix(seed, step);

    /// <summary>The model's initial weights (the global torch seed, which takes a signed value).</summary>
    public static long ModelInitialisation(long seed) => (long)(Mix(seed, -2) >> 1);

    /// <summary>The fixed pool of functions of <c>num_tasks</c>.</summary>
    public static long FunctionPool(long seed) => (long)(Mix(seed, -1) >> 1);

    /// <summary>The bootstrap resamples of an evaluation.</summary>
    public static ulong Bootstrap(long seed) => Mix(seed, -1);

    /// <summary>The fresh query points at which <c>identify</c> reads a model's function after the contexts of evaluation batch <paramref name="batch"/>.</summary>
    public static ulong ImplicitWeightQueries(long seed, long batch) => Mix(seed, -3 - batch);

    /// <summary>The random input transformations of an evaluation (half subspace, skewed, scale-x).</summary>
    public static ulong InputTransformations(long seed) => (ulong)seed + 12345;
}
