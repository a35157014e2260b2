using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// <c>y = sign(x · w)</c>. Metric: accuracy of <c>sign(prediction)</c>; training loss: binary
/// cross-entropy of <c>sigmoid(prediction)</c> against <c>(y + 1) / 2</c>.
/// </summary>
public sealed class LinearClassification(int nDims, double scale = 1) : LinearFamily(nDims, scale)
{
    public override string Name => "linear_classification";

    public static LinearClassification FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) => Linear(functions, xs).sign();

    public override Tensor Metric(Tensor predictions, Tensor ys) => Labels.Accuracy(predictions, ys);
    public override Tensor TrainingLoss(Tensor predictions, Tensor ys) => Labels.CrossEntropy(predictions, ys);
    public override string MetricName => Labels.MetricName;
    public override bool HigherIsBetter => true;
    public override double ErrorNormaliser(int activeDims) => 1;
    public override (double Level, string Label) ReferenceLine => Labels.Chance;
    public override double? OutputStd(int activeDims) => null;
    public override bool AcceptsOutputNoise => false;
}
