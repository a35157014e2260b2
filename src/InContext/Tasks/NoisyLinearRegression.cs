using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Linear regression plus <c>N(0, noise_std²)</c> noise; with <c>renormalize_ys</c>,
/// <c>y ← y · sqrt(d) / std(y over the batch)</c>.
/// </summary>
public sealed class NoisyLinearRegression(int nDims, double noiseStd = 0, bool renormalizeYs = false, double scale = 1)
    : LinearRegression(nDims, scale)
{
    public double NoiseStd { get; } = noiseStd;
    public bool RenormalizeYs { get; } = renormalizeYs;
    public override string Name => "noisy_linear_regression";

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        var ys = base.Evaluate(functions, xs, generator);
        var noisy = ys + NoiseStd * randn(ys.shape, generator: generator).to(ys.device);
        return RenormalizeYs ? noisy * Math.Sqrt(NDims) / noisy.std() : noisy;
    }
}
