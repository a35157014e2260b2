using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// <c>y = sign(x · w)</c>. Metric: accuracy of <c>sign(prediction)</c>; training loss: binary
/// cross-entropy of <c>sigmoid(prediction)</c> against <c>(y + 1) / 2</c>.
/// </summary>
public sealed class LinearClassification(int nDims, double scale = 1) : LinearRegression(nDims, scale)
{
    public override string Name => "linear_classification";

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) =>
        base.Evaluate(functions, xs, generator).sign();

    public override Tensor Metric(Tensor predictions, Tensor ys) => predictions.sign().eq(ys).to_type(float32);

    public override Tensor TrainingLoss(Tensor predictions, Tensor ys) =>
        nn.functional.binary_cross_entropy(predictions.sigmoid(), (ys + 1) / 2);

    public override string MetricName => "accuracy";
}
