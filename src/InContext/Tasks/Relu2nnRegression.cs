using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// A random 2-layer ReLU network: <c>y = scale · sqrt(2/h) · (relu(x W1) W2)</c> with
/// <c>W1 ~ N(0,1)^{d×h}</c>, <c>W2 ~ N(0,1)^{h×1}</c> (mean square <c>scale²·d</c>). Compared with a net
/// of the same shape trained by gradient descent, and also evaluated on linear functions.
/// </summary>
public sealed class Relu2nnRegression(int nDims, int hiddenLayerSize = Relu2nnRegression.DefaultHiddenLayerSize, double scale = 1) : FunctionClass(nDims)
{
    /// <summary>The paper's hidden layer size.</summary>
    public const int DefaultHiddenLayerSize = 100;

    /// <summary>The number of hidden ReLU units h (<c>hidden_layer_size</c>).</summary>
    public int HiddenLayerSize { get; } = hiddenLayerSize;
    /// <summary>The output scale (<c>scale</c>).</summary>
    public double Scale { get; } = scale;
    /// <inheritdoc/>
    public override string Name => "relu_2nn_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>hidden_layer_size</c>, <c>scale</c>).</summary>
    public static Relu2nnRegression FromKwargs(Section k, int nDims)
    {
        var h = k.Int("hidden_layer_size", DefaultHiddenLayerSize);
        if (h < 1) throw k.Error("hidden_layer_size", $"must be at least 1, found {h}");
        return new Relu2nnRegression(nDims, h, k.Float("scale", 1));
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Kwargs =>
        new Dictionary<string, object> { ["hidden_layer_size"] = HiddenLayerSize, ["scale"] = Scale };

    /// <summary>Draws <c>W1</c> <c>[count, d, h]</c> and <c>W2</c> <c>[count, h, 1]</c> from <c>N(0, 1)</c>.</summary>
    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var b = new FunctionBatch();
        b.Parameters["W1"] = randn(new long[] { count, NDims, HiddenLayerSize }, generator: generator);
        b.Parameters["W2"] = randn(new long[] { count, HiddenLayerSize, 1 }, generator: generator);
        return b;
    }

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        Scale * Math.Sqrt(2.0 / HiddenLayerSize) *
        nn.functional.relu(xs.matmul(functions["W1"].to(xs.device))).matmul(functions["W2"].to(xs.device)).squeeze(-1);

    /// <inheritdoc/>
    public override double ErrorNormaliser(int activeDims) => activeDims;
    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) => Scale * Math.Sqrt(activeDims);

    /// <summary>Least squares, 3-NN and averaging, plus a net of the same shape trained by gradient descent on the in-context examples.</summary>
    public override IEnumerable<IPredictor> Baselines() => base.Baselines().Append(new GradientDescentNet(HiddenLayerSize));

    /// <summary>Also evaluated on linear regression.</summary>
    public override IEnumerable<(string Name, FunctionClass Class)> RelatedEvaluations() =>
        [("linear_regression", new LinearRegression(NDims))];

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new Relu2nnRegression(NDims, HiddenLayerSize, scale);
}
