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
    public const string Id = "zero";
    public override string Name => Id;
    public override string DisplayName => "Predicting 0";

    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        return zeros(new long[] { b, n }, dtype: float32, device: xs.device);
    }
}
