using InContext.Baselines;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// The classes built on a linear form <c>x · w</c>, <c>w ~ N(0, I_d)</c>, times an output
/// <c>scale</c>: what they share is how w is drawn, the scale, and figures that stop at 2d
/// examples (everything interesting happens around d).
/// </summary>
public abstract class LinearFamily(int nDims, double scale) : FunctionClass(nDims)
{
    /// <summary>The output scale (<c>scale</c>): every output is multiplied by it.</summary>
    public double Scale { get; } = scale;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Kwargs => new Dictionary<string, object> { ["scale"] = Scale };

    /// <summary>Draws <c>w ~ N(0, I_d)</c> over all d coordinates, <c>[count, d, 1]</c>; the curriculum's inactive coordinates are zero in x, so they do not count.</summary>
    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var b = new FunctionBatch();
        b.Parameters["w"] = randn(new long[] { count, NDims, 1 }, generator: generator);
        return b;
    }

    /// <summary><c>scale · (x · w)</c>, <c>[b, n]</c>.</summary>
    protected Tensor Linear(FunctionBatch functions, Tensor xs) =>
        Scale * xs.matmul(functions["w"].to(xs.device)).squeeze(-1);

    /// <summary><c>scale · w</c>, <c>[b, d]</c>, for the classes whose outputs are <c>x · (scale · w)</c> (they say so by <see cref="FunctionClass.IsLinear"/>).</summary>
    public override Tensor LinearWeights(FunctionBatch functions) =>
        IsLinear ? Scale * functions["w"].squeeze(-1) : base.LinearWeights(functions);

    /// <summary><c>scale · w</c> with <c>w ~ N(0, I)</c>: <c>scale²</c>, for the linear classes (the sparse class, whose w is not Gaussian, says otherwise).</summary>
    public override double? WeightVariance => IsLinear ? Scale * Scale : null;

    /// <summary>d active coordinates: the mean of <c>(x · w)²</c> at unit scale.</summary>
    public override double ErrorNormaliser(int activeDims) => activeDims;

    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) => Scale * Math.Sqrt(activeDims);

    /// <summary>2d + 1 positions: up to twice the examples least squares needs to recover w.</summary>
    public override int PlotPositions(int nDims) => 2 * nDims + 1;

    /// <summary>
    /// <paramref name="baselines"/> with ridge at its Bayes-optimal penalty for outputs
    /// <c>scale · x·w + ε</c>, <c>w ~ N(0, I)</c>, <c>ε ~ N(0, σ²)</c> (σ² = <paramref name="noiseVariance"/>):
    /// the posterior mean of <c>scale · w</c> minimises <c>‖Xv − y‖² + (σ² / scale²) ‖v‖²</c>, ridge's
    /// objective with <c>α = σ² / scale²</c>. Any ridge already among them is replaced; without noise,
    /// the baselines unchanged.
    /// </summary>
    protected IEnumerable<IPredictor> WithBayesOptimalRidge(IEnumerable<IPredictor> baselines, double noiseVariance)
    {
        if (!(noiseVariance > 0)) return baselines;
        // 12 significant digits, so that the id reads as typed: ridge_0.01, not ridge_0.010000000000000002.
        var alpha = double.Parse((noiseVariance / (Scale * Scale)).ToString("G12", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
        return baselines.Where(b => b is not Ridge).Append(new Ridge(alpha));
    }

    /// <summary>Reads <c>scale</c> (default 1) from a class's <c>task_kwargs</c>.</summary>
    protected static double ReadScale(Yaml.Section kwargs) => kwargs.Float("scale", 1);
}
