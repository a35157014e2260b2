
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// Base of every baseline: the display name follows from the identifier, shapes are checked once.
/// A baseline's one primitive is "fit on the first i pairs, predict query i": plain prompts are
/// the case where query i is x_i itself, so the prompting strategies cost no extra fits.
/// </summary>
public abstract class Baseline : IPredictor
{
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public abstract string DisplayName { get; }

    /// <summary>Every position's prediction: <see cref="PredictQueries"/> with each position's own x as its query.</summary>
    public Tensor Predict(Tensor xs, Tensor ys) => PredictQueries(xs, ys, xs);

    /// <inheritdoc/>
    public virtual Tensor PredictLast(Tensor xs, Tensor ys) => IPredictor.LastOf(Predict(xs, ys));

    /// <summary>Entry <c>[p, i]</c>: fitted on pairs <c>0..i-1</c> of prompt p, evaluated at <c>queries[p, i]</c>; position 0 is 0.</summary>
    public abstract Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries);

    /// <summary>Batch size, points and dimension of <c>[b, n, d]</c> xs and <c>[b, n]</c> ys; throws on anything else.</summary>
    protected static (int B, int N, int D) CheckShapes(Tensor xs, Tensor ys, Tensor queries)
    {
        if (!queries.shape.SequenceEqual(xs.shape))
            throw new ArgumentException($"expected queries shaped like xs [{string.Join(", ", xs.shape)}], got [{string.Join(", ", queries.shape)}]");
        if (xs.dim() != 3 || ys.dim() != 2 || xs.shape[0] != ys.shape[0] || xs.shape[1] != ys.shape[1] || xs.shape[1] < 1)
            throw new ArgumentException($"expected xs [b, n, d] and ys [b, n] with n ≥ 1, got [{string.Join(", ", xs.shape)}] and [{string.Join(", ", ys.shape)}]");
        return ((int)xs.shape[0], (int)xs.shape[1], (int)xs.shape[2]);
    }
}
