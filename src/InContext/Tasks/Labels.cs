using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>What the classes with ±1 labels share: accuracy of the prediction's sign, the binary cross-entropy loss, chance at 0.5.</summary>
public static class Labels
{
    public const string MetricName = "accuracy";

    /// <summary>Guessing a label is right half the time.</summary>
    public static readonly (double Level, string Label) Chance = (0.5, "chance");

    public static Tensor Accuracy(Tensor predictions, Tensor ys) => predictions.sign().eq(ys).to_type(float32);

    /// <summary>Binary cross-entropy of <c>sigmoid(prediction)</c> against <c>(y + 1) / 2</c>, as the paper trains classification.</summary>
    public static Tensor CrossEntropy(Tensor predictions, Tensor ys) =>
        nn.functional.binary_cross_entropy(predictions.sigmoid(), (ys + 1) / 2);
}
