using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// <c>y = sign(x · w)</c>: noiseless labels of a random hyperplane through the origin.
/// </summary>
public sealed class LinearClassification(int nDims, double scale = 1) : LinearLabels(nDims, scale)
{
    public override string Name => "linear_classification";

    public static LinearClassification FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) => Linear(functions, xs).sign();
}
