using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// The classes built on a linear form <c>x · w</c>, <c>w ~ N(0, I_d)</c>, times an output
/// <c>scale</c>: what they share is how w is drawn, the scale, and figures that stop at 2d
/// examples (everything interesting happens around d).
/// </summary>
public abstract class LinearFamily(int nDims, double scale) : FunctionClass(nDims)
{
    public double Scale { get; } = scale;

    public override IReadOnlyDictionary<string, object> Kwargs => new Dictionary<string, object> { ["scale"] = Scale };

    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var b = new FunctionBatch();
        b.Parameters["w"] = randn(new long[] { count, NDims, 1 }, generator: generator);
        return b;
    }

    /// <summary><c>scale · (x · w)</c>, <c>[b, n]</c>.</summary>
    protected Tensor Linear(FunctionBatch functions, Tensor xs) =>
        Scale * xs.matmul(functions["w"].to(xs.device)).squeeze(-1);

    public override double ErrorNormaliser(int activeDims) => activeDims;

    public override double? OutputStd(int activeDims) => Scale * Math.Sqrt(activeDims);

    public override int PlotPositions(int nDims) => 2 * nDims + 1;

    /// <summary>Reads <c>scale</c> (default 1) from a class's <c>task_kwargs</c>.</summary>
    protected static double ReadScale(Yaml.Section kwargs) => kwargs.Double("scale", 1);
}
