using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary><c>y = scale · ((x²) · w) / sqrt(3)</c>: linear in the squared coordinates.</summary>
public sealed class QuadraticRegression(int nDims, double scale = 1) : LinearRegression(nDims, scale)
{
    public override string Name => "quadratic_regression";

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        Scale * xs.square().matmul(functions["w"].to(xs.device)).squeeze(-1) / Math.Sqrt(3);
}
