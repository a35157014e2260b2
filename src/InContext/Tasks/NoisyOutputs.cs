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
    public FunctionClass Inner { get; } = inner;
    public double NoiseStd { get; } = noiseStd;
    public override string Name => Inner.Name;

    public override IReadOnlyDictionary<string, object> Kwargs =>
        new Dictionary<string, object>(Inner.Kwargs) { ["output_noise"] = NoiseStd };

    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims) =>
        Inner.SampleFunctions(count, generator, activeDims);

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        using var ys = Inner.Evaluate(functions, xs, generator);
        using var noise = randn(ys.shape, generator: generator);
        return ys + NoiseStd * noise.to(ys.device);
    }

    public override Tensor Metric(Tensor predictions, Tensor ys) => Inner.Metric(predictions, ys);
    public override Tensor TrainingLoss(Tensor predictions, Tensor ys) => Inner.TrainingLoss(predictions, ys);
    public override string MetricName => Inner.MetricName;
    public override bool HigherIsBetter => Inner.HigherIsBetter;
    public override double ErrorNormaliser(int activeDims) => Inner.ErrorNormaliser(activeDims);
    public override (double Level, string Label) ReferenceLine => Inner.ReferenceLine;
    public override int PlotPositions(int nDims) => Inner.PlotPositions(nDims);
    public override double? OutputStd(int activeDims) =>
        Inner.OutputStd(activeDims) is { } s ? Math.Sqrt(s * s + NoiseStd * NoiseStd) : null;
    public override IEnumerable<IPredictor> Baselines() => Inner.Baselines();
    public override FunctionClass? WithScale(double scale) => Inner.WithScale(scale) is { } scaled ? new NoisyOutputs(scaled, NoiseStd) : null;
    public override bool AcceptsOutputNoise => Inner.AcceptsOutputNoise;
}
