using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Linear regression plus <c>N(0, noise_std²)</c> noise; with <c>renormalize_ys</c>,
/// <c>y ← y · sqrt(d) / std(y over the batch)</c>.
/// </summary>
public sealed class NoisyLinearRegression(int nDims, double noiseStd = 0, bool renormalizeYs = false, double scale = 1)
    : LinearFamily(nDims, scale)
{
    /// <summary>The standard deviation of the Gaussian noise added to each output (<c>noise_std</c>).</summary>
    public double NoiseStd { get; } = noiseStd;
    /// <summary>Whether the outputs are rescaled to standard deviation sqrt(d) over the batch (<c>renormalize_ys</c>).</summary>
    public bool RenormalizeYs { get; } = renormalizeYs;
    /// <inheritdoc/>
    public override string Name => "noisy_linear_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>noise_std</c>, <c>renormalize_ys</c>, <c>scale</c>).</summary>
    public static NoisyLinearRegression FromKwargs(Section k, int nDims)
    {
        var noise = k.Float("noise_std", 0);
        if (noise < 0) throw k.Error("noise_std", $"must not be negative, found {noise}");
        return new NoisyLinearRegression(nDims, noise, k.Bool("renormalize_ys", false), ReadScale(k));
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Kwargs =>
        new Dictionary<string, object>(base.Kwargs) { ["noise_std"] = NoiseStd, ["renormalize_ys"] = RenormalizeYs };

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        var ys = Linear(functions, xs);
        var noisy = ys + NoiseStd * randn(ys.shape, generator: generator).to(ys.device);
        return RenormalizeYs ? noisy * Math.Sqrt(NDims) / noisy.std() : noisy;
    }

    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) =>
        RenormalizeYs ? Math.Sqrt(NDims) : Math.Sqrt(Scale * Scale * activeDims + NoiseStd * NoiseStd);

    /// <summary>Linear unless <c>renormalize_ys</c>, which divides each batch's outputs by their own spread.</summary>
    public override bool IsLinear => !RenormalizeYs;

    /// <summary><c>noise_std²</c>.</summary>
    public override double NoiseVariance => NoiseStd * NoiseStd;

    /// <summary>Beside least squares, 3-NN and averaging: ridge with α = noise_std² / scale², the Bayes-optimal predictor (w ~ N(0, I)).</summary>
    public override IEnumerable<IPredictor> Baselines() => WithBayesOptimalRidge(base.Baselines(), NoiseStd * NoiseStd);

    /// <summary>
    /// The baselines with ridge at the penalty of both noises. <c>renormalize_ys</c> multiplies the
    /// outputs by about <c>c = sqrt(d / (scale² d + noise_std²))</c> before the extra noise is added, so
    /// in the class's own units that noise has std <c>noiseStd / c</c> (the rescaling itself changes no
    /// linear learner's predictions relative to the outputs).
    /// </summary>
    public override IEnumerable<IPredictor> BaselinesUnderNoise(double noiseStd)
    {
        var c = RenormalizeYs ? Math.Sqrt(NDims / (Scale * Scale * NDims + NoiseStd * NoiseStd)) : 1;
        return WithBayesOptimalRidge(base.Baselines(), NoiseStd * NoiseStd + noiseStd * noiseStd / (c * c));
    }

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new NoisyLinearRegression(NDims, NoiseStd, RenormalizeYs, scale);
}
