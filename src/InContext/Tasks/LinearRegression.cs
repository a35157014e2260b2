using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary><c>y = scale · (x · w)</c>, <c>w ~ N(0, I_d)</c>.</summary>
public class LinearRegression(int nDims, double scale = 1) : FunctionClass(nDims)
{
    public double Scale { get; } = scale;
    public override string Name => "linear_regression";

    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var b = new FunctionBatch();
        b.Parameters["w"] = randn(new long[] { count, NDims, 1 }, generator: generator);
        return b;
    }

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        Scale * xs.matmul(functions["w"].to(xs.device)).squeeze(-1);
}
