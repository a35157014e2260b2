using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Any function class with <c>N(0, noiseStd²)</c> added to every output it evaluates: the
/// noisy-output shift of <c>probe</c>, for every class alike. On linear regression it draws
/// the very distribution of <c>noisy_linear_regression</c> with <c>noise_std</c> (without
/// <c>renormalize_ys</c>). Everything else is the inner class's.
/// </summary>
public sealed class NoisyOutputs(FunctionClass inner, double noiseStd) : FunctionClass(inner.NDims)
{
    /// <summary>The class whose outputs get the noise.</summary>
    public FunctionClass Inner { get; } = inner;
    /// <summary>The standard deviation of the noise added to each output.</summary>
    public double NoiseStd { get; } = noiseStd;
    /// <summary>The inner class's name: the noise shows in <see cref="Kwargs"/> (<c>output_noise</c>).</summary>
    public override string Name => Inner.Name;

    /// <summary>The inner class's settings plus <c>output_noise</c>.</summary>
    public override IReadOnlyDictionary<string, object> Kwargs =>
        new Dictionary<string, object>(Inner.Kwargs) { ["output_noise"] = NoiseStd };

    /// <inheritdoc/>
    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims) =>
        Inner.SampleFunctions(count, generator, activeDims);

    /// <summary>The inner class's outputs plus <c>N(0, noiseStd²)</c> noise.</summary>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        using var ys = Inner.Evaluate(functions, xs, generator);
        using var noise = randn(ys.shape, generator: generator);
        return ys + NoiseStd * noise.to(ys.device);
    }

    /// <inheritdoc/>
    public override Tensor Metric(Tensor predictions, Tensor ys) => Inner.Metric(predictions, ys);
    /// <inheritdoc/>
    public override Tensor PointwiseTrainingLoss(Tensor predictions, Tensor ys) => Inner.PointwiseTrainingLoss(predictions, ys);
    /// <inheritdoc/>
    public override string MetricName => Inner.MetricName;
    /// <inheritdoc/>
    public override bool HigherIsBetter => Inner.HigherIsBetter;
    /// <inheritdoc/>
    public override double ErrorNormaliser(int activeDims) => Inner.ErrorNormaliser(activeDims);
    /// <inheritdoc/>
    public override (double Level, string Label) ReferenceLine => Inner.ReferenceLine;
    /// <inheritdoc/>
    public override int PlotPositions(int nDims) => Inner.PlotPositions(nDims);
    /// <summary>The inner class's output spread with the noise's variance added; null when the inner class has labels.</summary>
    public override double? OutputStd(int activeDims) =>
        Inner.OutputStd(activeDims) is { } s ? Math.Sqrt(s * s + NoiseStd * NoiseStd) : null;
    /// <summary>The inner class's baselines under this noise (ridge at its Bayes-optimal penalty for linear functions).</summary>
    public override IEnumerable<IPredictor> Baselines() => Inner.BaselinesUnderNoise(NoiseStd);
    /// <summary>The inner class's baselines under this noise and <paramref name="noiseStd"/> more (variances add).</summary>
    public override IEnumerable<IPredictor> BaselinesUnderNoise(double noiseStd) => Inner.BaselinesUnderNoise(Math.Sqrt(NoiseStd * NoiseStd + noiseStd * noiseStd));
    /// <summary>The inner class rescaled, with the same noise; null when the inner class has no scale.</summary>
    public override FunctionClass? WithScale(double scale) => Inner.WithScale(scale) is { } scaled ? new NoisyOutputs(scaled, NoiseStd) : null;
    /// <inheritdoc/>
    public override bool AcceptsOutputNoise => Inner.AcceptsOutputNoise;
    /// <inheritdoc/>
    public override bool IsLinear => Inner.IsLinear;
    /// <inheritdoc/>
    public override Tensor LinearWeights(FunctionBatch functions) => Inner.LinearWeights(functions);
    /// <summary>The inner class's noise variance plus this noise's.</summary>
    public override double NoiseVariance => Inner.NoiseVariance + NoiseStd * NoiseStd;
    /// <inheritdoc/>
    public override double? WeightVariance => Inner.WeightVariance;
}
