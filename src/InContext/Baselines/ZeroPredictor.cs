using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Predicts 0 whatever the context: the trivial learner every error is measured against. Its
/// squared error is the mean square of the targets, so dividing by it gives the error relative to
/// predicting 0 under the very prompts and shift evaluated (under inputs scaled by 3, predicting 0
/// errs about 9 times as much as without).
/// </summary>
public sealed class ZeroPredictor : Baseline
{
    /// <summary>The identifier, <c>zero</c>.</summary>
    public const string Id = "zero";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Predicting 0";

    /// <summary>Zeros <c>[b, n]</c> on the device of xs.</summary>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        return zeros(new long[] { b, n }, dtype: float32, device: xs.device);
    }
}
