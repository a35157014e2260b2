using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// <c>y = scale · (x · w)</c>, <c>w ~ N(0, I_d)</c>. The paper's main class: its runs are
/// evaluated under every distribution shift, and also on noisy outputs (<c>noisyLR</c>).
/// </summary>
public sealed class LinearRegression(int nDims, double scale = 1) : LinearFamily(nDims, scale)
{
    /// <inheritdoc/>
    public override string Name => "linear_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>scale</c>).</summary>
    public static LinearRegression FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) => Linear(functions, xs);

    /// <inheritdoc/>
    public override bool EvaluatedUnderShifts => true;

    /// <summary>Its outputs are <c>x · (scale · w)</c>.</summary>
    public override bool IsLinear => true;

    /// <summary>Also evaluated on noisy linear regression (<c>noisyLR</c>: noise std 1, outputs renormalised).</summary>
    public override IEnumerable<(string Name, FunctionClass Class)> RelatedEvaluations() =>
        [("noisyLR", new NoisyLinearRegression(NDims, noiseStd: 1, renormalizeYs: true))];

    /// <summary>Least squares, 3-NN and averaging, and ridge with the Bayes-optimal penalty <c>α = noiseStd² / scale²</c>.</summary>
    public override IEnumerable<IPredictor> BaselinesUnderNoise(double noiseStd) => WithBayesOptimalRidge(Baselines(), noiseStd * noiseStd);

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new LinearRegression(NDims, scale);
}
