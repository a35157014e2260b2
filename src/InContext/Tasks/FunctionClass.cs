using InContext.Baselines;
using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// The parameters of a batch of functions, one per prompt (e.g. <c>w</c> of shape
/// <c>[b, d, 1]</c>); every tensor's first dimension is the prompt.
/// </summary>
public sealed class FunctionBatch : IDisposable
{
    /// <summary>The parameter tensors by name (<c>w</c>, <c>W1</c>, <c>coords</c>, ...), as the class that drew them names them.</summary>
    public Dictionary<string, Tensor> Parameters { get; } = new();
    /// <summary>The parameter tensor <paramref name="name"/>.</summary>
    public Tensor this[string name] => Parameters[name];
    /// <summary>The number of functions (prompts) in the batch.</summary>
    public long Count => Parameters.Values.First().shape[0];

    /// <summary>The functions at the given prompt indices (for pools).</summary>
    public FunctionBatch Select(Tensor indices)
    {
        var b = new FunctionBatch();
        foreach (var (k, v) in Parameters) b.Parameters[k] = v.index_select(0, indices);
        return b;
    }

    /// <summary>The batches' functions one after another, in order (every part has the same parameter names).</summary>
    public static FunctionBatch Concat(IReadOnlyList<FunctionBatch> parts)
    {
        var b = new FunctionBatch();
        foreach (var k in parts[0].Parameters.Keys) b.Parameters[k] = cat(parts.Select(p => p[k]).ToArray(), 0);
        return b;
    }

    /// <summary>Disposes every parameter tensor.</summary>
    public void Dispose() { foreach (var t in Parameters.Values) t.Dispose(); }
}

/// <summary>
/// A function class of the paper: how to draw functions and evaluate them, and every fact the
/// rest of the program needs about the class: its loss and metric, what its errors are divided
/// by, how far its figures reach, the spread of its outputs, its baselines and the evaluations
/// that apply to it. A new class is one file deriving from this one and one line in
/// <see cref="TaskRegistry"/>; nothing else names it.
/// <para>
/// Everything is drawn on the CPU from an explicit generator, so a batch depends only on its
/// seed; the caller moves xs and ys to the model's device.
/// </para>
/// </summary>
public abstract class FunctionClass
{
    /// <summary>A class of functions of <paramref name="nDims"/> inputs.</summary>
    /// <param name="nDims">The input dimension d (the model's <c>n_dims</c>).</param>
    protected FunctionClass(int nDims) { NDims = nDims; }

    /// <summary>The input dimension d: every x has this many coordinates, the curriculum's active ones first.</summary>
    public int NDims { get; }

    /// <summary>Registry name, e.g. <c>linear_regression</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The class's settings with their effective values (defaults included), as <c>task_kwargs</c> names them.</summary>
    public abstract IReadOnlyDictionary<string, object> Kwargs { get; }

    /// <summary>One line naming the class and its settings, e.g. <c>sparse_linear_regression(sparsity=3, scale=1)</c>; equal lines mean equal distributions.</summary>
    public string Describe() =>
        Name + "(" + string.Join(", ", Kwargs.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Format(kv.Value)}")) + ")";

    static string Format(object value) => value switch
    {
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Draws <paramref name="count"/> functions. <paramref name="activeDims"/> is the curriculum's current dims.</summary>
    public abstract FunctionBatch SampleFunctions(int count, Generator generator, int activeDims);

    /// <summary>Evaluates one function per prompt: xs <c>[b, n, d]</c> → ys <c>[b, n]</c>.</summary>
    public abstract Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator);

    // ---- how predictions are scored

    /// <summary>The evaluation metric per prompt and position (squared error unless the class says otherwise).</summary>
    public virtual Tensor Metric(Tensor predictions, Tensor ys) => (predictions - ys).square();

    /// <summary>The training loss at each prompt and point, before it is averaged (squared error unless the class says otherwise).</summary>
    public virtual Tensor PointwiseTrainingLoss(Tensor predictions, Tensor ys) => (predictions - ys).square();

    /// <summary>The training loss: <see cref="PointwiseTrainingLoss"/> averaged over the batch.</summary>
    public Tensor TrainingLoss(Tensor predictions, Tensor ys) => PointwiseTrainingLoss(predictions, ys).mean();

    /// <summary>The training loss of each run of a pack, predictions and ys stacked along a first member dimension: <c>[members]</c>.</summary>
    public Tensor TrainingLosses(Tensor predictions, Tensor ys)
    {
        using var pointwise = PointwiseTrainingLoss(predictions, ys);
        return pointwise.flatten(1).mean([1]);
    }

    /// <summary>The name of <see cref="Metric"/>, for tables and plots.</summary>
    public virtual string MetricName => "squared error";

    /// <summary>Whether a larger metric is better (accuracy) or worse (an error).</summary>
    public virtual bool HigherIsBetter => false;

    /// <summary>
    /// What the metric is divided by in tables and figures (the paper's normalisation): the mean
    /// squared output of the class at unit scale with <paramref name="activeDims"/> active inputs,
    /// so that predicting 0 scores 1. 1 for a metric that needs no scaling.
    /// </summary>
    public abstract double ErrorNormaliser(int activeDims);

    /// <summary>The level drawn as a dashed line in figures, in normalised units, and its label.</summary>
    public virtual (double Level, string Label) ReferenceLine => (1, "predicting 0");

    /// <summary>How many positions (0, 1, ... in-context examples) a figure shows at most.</summary>
    public virtual int PlotPositions(int nDims) => 100;

    /// <summary>
    /// The standard deviation of the outputs for inputs <c>N(0, I)</c> with <paramref name="activeDims"/>
    /// active coordinates (every class's outputs have mean 0): what <c>--standardize</c> rescales a
    /// context's outputs to. Null for labels, which are never rescaled.
    /// </summary>
    public abstract double? OutputStd(int activeDims);

    // ---- what it is compared with and evaluated on

    /// <summary>The classical learners the paper compares with on this class: least squares, 3-NN and averaging unless the class says otherwise.</summary>
    public virtual IEnumerable<IPredictor> Baselines() => [new LeastSquares(), new NearestNeighbours(3), new Averaging()];

    /// <summary>
    /// The classical learners to compare with when <c>N(0, noiseStd²)</c> noise is added to every
    /// output (the noise shift of probes and of the limitation map): <see cref="Baselines"/>, plus
    /// the learner that is optimal under such noise where the class knows one (ridge for Gaussian
    /// linear functions). Without it a noisy comparison is made against least squares alone, whose
    /// spike at k = d makes any learner look good.
    /// </summary>
    public virtual IEnumerable<IPredictor> BaselinesUnderNoise(double noiseStd) => Baselines();

    /// <summary>Whether the paper's distribution shifts (prompting strategies, input and output scales, noise) are evaluated on this class.</summary>
    public virtual bool EvaluatedUnderShifts => false;

    /// <summary>Evaluations on other classes that a run of this one is also measured on, by evaluation name.</summary>
    public virtual IEnumerable<(string Name, FunctionClass Class)> RelatedEvaluations() => [];

    /// <summary>The same class with its output scale set to <paramref name="scale"/> (the <c>scale-y</c> shift); null when it has none.</summary>
    public virtual FunctionClass? WithScale(double scale) => null;

    /// <summary>Whether Gaussian noise on the outputs is meaningful (not for ±1 labels).</summary>
    public virtual bool AcceptsOutputNoise => true;

    // ---- linear structure (which learner a model matches, probes of w, the Bayes estimators)

    /// <summary>Whether every output is <c>x · w</c> plus Gaussian noise of <see cref="NoiseVariance"/>: then <see cref="LinearWeights"/> gives each function's w.</summary>
    public virtual bool IsLinear => false;

    /// <summary>Each function's w of <c>y = x · w</c> (+ noise), <c>[b, d]</c>, for a class that <see cref="IsLinear"/>; refused otherwise.</summary>
    public virtual Tensor LinearWeights(FunctionBatch functions) =>
        throw new InvalidOperationException($"{Name}: its outputs are not x · w; no linear weights");

    /// <summary>The variance of the Gaussian noise added to every output (0: noiseless).</summary>
    public virtual double NoiseVariance => 0;

    /// <summary>
    /// τ² of a Gaussian prior <c>w ~ N(0, τ² I)</c> over the linear weights, null where w is not
    /// drawn so (sparse w, no linear structure): with it, ridge at <c>α = σ²/τ²</c> is the Bayes
    /// (posterior-mean) predictor (<see cref="BayesRidgePenalty"/>).
    /// </summary>
    public virtual double? WeightVariance => null;

    /// <summary>
    /// The ridge penalty <c>α = σ²/τ²</c> whose predictor is the posterior mean of the outputs
    /// (<see cref="NoiseVariance"/> over <see cref="WeightVariance"/>); 0 for a noiseless class,
    /// where the posterior mean is the limit α → 0, minimum-norm least squares. Null where no
    /// Gaussian prior is known.
    /// </summary>
    public double? BayesRidgePenalty => WeightVariance is { } tau2 && tau2 > 0 ? NoiseVariance / tau2 : null;

    /// <summary>Draws each prompt's function from its own seed (a finite data set: seed s fixes prompt s's function).</summary>
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

    /// <summary>How many functions the pool holds.</summary>
    public int Size => size;

    /// <summary>The pool's functions, in order (owned by the pool).</summary>
    public FunctionBatch Functions => _pool;

    /// <paramref name="count"/> functions drawn uniformly, with replacement, from the pool.
    public FunctionBatch Draw(int count, Generator generator)
    {
        using var idx = randint(0, size, new long[] { count }, dtype: int64, generator: generator);
        return _pool.Select(idx);
    }

    /// <summary>Disposes the pool's parameter tensors.</summary>
    public void Dispose() => _pool.Dispose();
}
