using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// The classes whose outputs are ±1 labels of a linear form: scored by the accuracy of the
/// prediction's sign (higher is better, chance at 0.5), trained with binary cross-entropy, never
/// normalised by d and never given output noise (a label has no spread to add noise to).
/// </summary>
public abstract class LinearLabels(int nDims, double scale) : LinearFamily(nDims, scale)
{
    /// <inheritdoc/>
    public override Tensor Metric(Tensor predictions, Tensor ys) => predictions.sign().eq(ys).to_type(float32);

    /// <summary>Binary cross-entropy of <c>sigmoid(prediction)</c> against <c>(y + 1) / 2</c>, as the paper trains classification.</summary>
    public override Tensor PointwiseTrainingLoss(Tensor predictions, Tensor ys) =>
        nn.functional.binary_cross_entropy(predictions.sigmoid(), (ys + 1) / 2, reduction: nn.Reduction.None);

    /// <inheritdoc/>
    public override string MetricName => "accuracy";
    /// <inheritdoc/>
    public override bool HigherIsBetter => true;
    /// <inheritdoc/>
    public override double ErrorNormaliser(int activeDims) => 1;

    /// <summary>Guessing a label is right half the time.</summary>
    public override (double Level, string Label) ReferenceLine => (0.5, "chance");

    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) => null;
    /// <inheritdoc/>
    public override bool AcceptsOutputNoise => false;
}
