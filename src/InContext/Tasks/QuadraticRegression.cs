using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary><c>y = scale · ((x²) · w) / sqrt(3)</c>: linear in the squared coordinates (mean square d at unit scale, as linear regression's).</summary>
public sealed class QuadraticRegression(int nDims, double scale = 1) : LinearFamily(nDims, scale)
{
    /// <inheritdoc/>
    public override string Name => "quadratic_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>scale</c>).</summary>
    public static QuadraticRegression FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        Scale * xs.square().matmul(functions["w"].to(xs.device)).squeeze(-1) / Math.Sqrt(3);

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new QuadraticRegression(NDims, scale);
}
