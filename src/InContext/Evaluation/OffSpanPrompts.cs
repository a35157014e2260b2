using System.Globalization;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// Queries at a chosen distance from the span of the earlier examples: query i is the fresh point
/// x_i split into its part in the span of x_0..x_{i-1} and its part orthogonal to it, each scaled
/// to unit length, mixed as <c>(1 − t)·in-span + t·orthogonal</c> and rescaled to x_i's norm. t = 0
/// puts every query in the span (where a least-squares fit is exact), t = 1 off it (as
/// <c>orthogonal_train_test</c>). Past d examples the span is everything, and the query is x_i.
/// </summary>
public sealed class OffSpanPrompts : PromptingStrategy
{
    /// <summary>Queries a fraction <paramref name="offSpan"/> of the way off the span of the earlier examples.</summary>
    /// <param name="offSpan">t, from 0 (in the span) to 1 (orthogonal to it).</param>
    public OffSpanPrompts(double offSpan)
    {
        if (!(offSpan >= 0 && offSpan <= 1)) throw new ParameterException("off_span", $"{offSpan.ToString(CultureInfo.InvariantCulture)}: expected a number from 0 to 1");
        OffSpan = offSpan;
    }

    /// <summary>t, from 0 (queries in the span) to 1 (orthogonal to it).</summary>
    public double OffSpan { get; }
    /// <inheritdoc/>
    public override string Name => $"query-off-span={OffSpan.ToString(CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    public override (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (n, d) = (xs.shape[1], xs.shape[2]);
        var queries = xs.clone();
        for (var i = 1; i < Math.Min(n, d); i++)
        {
            var query = xs.narrow(1, i, 1);
            var (_, _, vt) = linalg.svd(xs.narrow(1, 0, i), fullMatrices: false);   // vt: [b, i, d]
            var inSpan = query.matmul(vt.transpose(1, 2).matmul(vt));
            var offSpan = query - inSpan;
            static Tensor Unit(Tensor v) => v / v.norm(2, true).clamp_min(1e-12);
            var mixed = Unit((1 - OffSpan) * Unit(inSpan) + OffSpan * Unit(offSpan));
            queries.narrow(1, i, 1).copy_(mixed * query.norm(2, true));
        }
        return (xs.MoveToOuterDisposeScope(), queries.MoveToOuterDisposeScope());
    }
}
