using static TorchSharp.torch;

namespace InContext.Tests.Identification;

/// <summary>
/// A learner wrapped as a model whose inner workings identify cannot see: no weights of its own
/// (not an <see cref="ILinearLearner"/>), so its in-context function is read from its answers
/// alone, through prompts of its own per query, as a transformer's would be.
/// </summary>
sealed class BlackBox(IPredictor inner) : IPredictor
{
    public string Name => "model";
    public string DisplayName => "a learner as a model";
    public Tensor Predict(Tensor xs, Tensor ys) => inner.Predict(xs, ys);
    public Tensor PredictLast(Tensor xs, Tensor ys) => inner.PredictLast(xs, ys);
    public Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries) => inner.PredictQueries(xs, ys, queries);
}
