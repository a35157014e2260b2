using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// The parameters of a batch of functions, one per prompt (e.g. <c>w</c> of shape
/// <c>[b, d, 1]</c>); every tensor's first dimension is the prompt.
/// </summary>
public sealed class FunctionBatch : IDisposable
{
    public Dictionary<string, Tensor> Parameters { get; } = new();
    public Tensor this[string name] => Parameters[name];
    public long Count => Parameters.Values.First().shape[0];

    /// <summary>The functions at the given prompt indices (for pools).</summary>
    public FunctionBatch Select(Tensor indices)
    {
        var b = new FunctionBatch();
        foreach (var (k, v) in Parameters) b.Parameters[k] = v.index_select(0, indices);
        return b;
    }

    public static FunctionBatch Concat(IReadOnlyList<FunctionBatch> parts)
    {
        var b = new FunctionBatch();
        foreach (var k in parts[0].Parameters.Keys) b.Parameters[k] = cat(parts.Select(p => p[k]).ToArray(), 0);
        return b;
    }

    public void Dispose() { foreach (var t in Parameters.Values) t.Dispose(); }
}

/// <summary>
/// A function class of the paper (SPEC §3): how to draw functions and how to evaluate them.
/// Each class only says how to sample parameters and evaluate them; pools (<c>num_tasks</c>)
/// and per-prompt seeds (<c>num_training_examples</c>) are handled once, here.
/// Everything runs on CPU with an explicit generator, so a batch depends only on its seed;
/// the caller moves xs and ys to the model's device.
/// </summary>
public abstract class FunctionClass
{
    protected FunctionClass(int nDims) { NDims = nDims; }

    public int NDims { get; }

    /// <summary>Registry name, e.g. <c>linear_regression</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Draws <paramref name="count"/> functions. <paramref name="activeDims"/> is the curriculum's current dims.</summary>
    public abstract FunctionBatch SampleFunctions(int count, Generator generator, int activeDims);

    /// <summary>Evaluates one function per prompt: xs <c>[b, n, d]</c> → ys <c>[b, n]</c>.</summary>
    public abstract Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator);

    /// <summary>The evaluation metric per prompt and position (squared error unless the class says otherwise).</summary>
    public virtual Tensor Metric(Tensor predictions, Tensor ys) => (predictions - ys).square();

    /// <summary>The training loss (mean squared error unless the class says otherwise).</summary>
    public virtual Tensor TrainingLoss(Tensor predictions, Tensor ys) => (predictions - ys).square().mean();

    /// <summary>The name of <see cref="Metric"/>, for tables and plots.</summary>
    public virtual string MetricName => "squared error";

    /// <summary>Draws each prompt's function from its own seed (seed fixes the function, SPEC §3).</summary>
    public FunctionBatch SampleFunctionsFromSeeds(IReadOnlyList<long> seeds, int activeDims)
    {
        var parts = seeds.Select(s =>
        {
            using var g = new Generator((ulong)s);
            return SampleFunctions(1, g, activeDims);
        }).ToList();
        var all = FunctionBatch.Concat(parts);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}

/// <summary>
/// A fixed pool of functions drawn once (<c>num_tasks</c>); each prompt's function is one of
/// the pool, chosen uniformly.
/// </summary>
public sealed class FunctionPool(FunctionClass functionClass, int size, long seed) : IDisposable
{
    readonly FunctionBatch _pool = SamplePool(functionClass, size, seed);

    static FunctionBatch SamplePool(FunctionClass c, int size, long seed)
    {
        using var g = new Generator((ulong)seed);
        return c.SampleFunctions(size, g, c.NDims);
    }

    public int Size => size;

    public FunctionBatch Draw(int count, Generator generator)
    {
        using var idx = randint(0, size, new long[] { count }, dtype: int64, generator: generator);
        return _pool.Select(idx);
    }

    public void Dispose() => _pool.Dispose();
}
