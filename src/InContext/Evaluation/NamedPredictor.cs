using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// A model under another id: several runs' transformers (a pack's seeds) in one evaluation, where
/// each needs a name of its own (<c>transformer@seed 2</c>). Everything else is the model's.
/// </summary>
public sealed class NamedPredictor(IPredictor model, string name) : IPredictor
{
    /// <summary>The model under the new name.</summary>
    public IPredictor Model => model;
    /// <inheritdoc/>
    public string Name => name;
    /// <inheritdoc/>
    public string DisplayName => model.DisplayName;
    /// <inheritdoc/>
    public Tensor Predict(Tensor xs, Tensor ys) => model.Predict(xs, ys);
    /// <inheritdoc/>
    public Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries) => model.PredictQueries(xs, ys, queries);
    /// <inheritdoc/>
    public Tensor PredictLast(Tensor xs, Tensor ys) => model.PredictLast(xs, ys);
    /// <inheritdoc/>
    public Tensor PredictAtContext(Tensor xs, Tensor ys, Tensor queries) => model.PredictAtContext(xs, ys, queries);
}
