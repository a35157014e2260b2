using InContext.Tasks;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// A batch of an evaluation's prompts: the in-context xs <c>[b, n, d]</c> and ys <c>[b, n]</c>, the
/// strategy's own queries (null for plain prompts), the targets every position is scored against,
/// and the functions drawn (one per prompt). Disposing it frees the functions; the tensors belong
/// to the caller's dispose scope.
/// </summary>
public sealed record PromptBatch(Tensor Xs, Tensor Ys, Tensor? Queries, Tensor Targets, FunctionBatch Functions) : IDisposable
{
    /// <summary>Every position's prediction by <paramref name="predictor"/>, <c>[b, n]</c>: of each x in turn, or of the strategy's queries.</summary>
    public Tensor Predict(IPredictor predictor) => Queries is null ? predictor.Predict(Xs, Ys) : predictor.PredictQueries(Xs, Ys, Queries);

    /// <summary>Frees the functions' parameters.</summary>
    public void Dispose() => Functions.Dispose();
}
