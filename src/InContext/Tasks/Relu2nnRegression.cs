using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// A random 2-layer ReLU network: <c>y = scale · sqrt(2/h) · (relu(x W1) W2)</c> with
/// <c>W1 ~ N(0,1)^{d×h}</c>, <c>W2 ~ N(0,1)^{h×1}</c>.
/// </summary>
public sealed class Relu2nnRegression(int nDims, int hiddenLayerSize = 100, double scale = 1) : FunctionClass(nDims)
{
    public int HiddenLayerSize { get; } = hiddenLayerSize;
    public double Scale { get; } = scale;
    public override string Name => "relu_2nn_regression";

    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var b = new FunctionBatch();
        b.Parameters["W1"] = randn(new long[] { count, NDims, HiddenLayerSize }, generator: generator);
        b.Parameters["W2"] = randn(new long[] { count, HiddenLayerSize, 1 }, generator: generator);
        return b;
    }

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        Scale * Math.Sqrt(2.0 / HiddenLayerSize) *
        nn.functional.relu(xs.matmul(functions["W1"].to(xs.device))).matmul(functions["W2"].to(xs.device)).squeeze(-1);
}
