using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// <c>y = sign(x · w)</c>: noiseless labels of a random hyperplane through the origin.
/// </summary>
public sealed class LinearClassification(int nDims, double scale = 1) : LinearLabels(nDims, scale)
{
    /// <inheritdoc/>
    public override string Name => "linear_classification";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>scale</c>).</summary>
    public static LinearClassification FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) => Linear(functions, xs).sign();
}
