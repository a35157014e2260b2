
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// k-nearest neighbours with uniform weights: the mean y of the k earlier points closest (in
/// Euclidean distance) to the query, or of all earlier points while fewer than k exist.
/// Batched over prompts and positions: one distance matrix per prompt, future points masked.
/// </summary>
public sealed class NearestNeighbours : Baseline
{
    /// <summary>The k-nearest-neighbours learner.</summary>
    /// <param name="k">How many neighbours are averaged, at least 1 (the paper's 3).</param>
    public NearestNeighbours(int k = 3)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        K = k;
    }

    /// <summary>How many neighbours are averaged.</summary>
    public int K { get; }
    /// <summary>The identifier of k-NN, e.g. <c>knn_3</c>.</summary>
    public static string IdOf(int k) => $"knn_{k}";
    /// <inheritdoc/>
    public override string Name => IdOf(K);
    /// <inheritdoc/>
    public override string DisplayName => $"{K}-Nearest Neighbors";

    /// <inheritdoc/>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        using var scope = NewDisposeScope();
        var x = xs.detach().to(float64);
        var y = ys.detach().to(float64);
        // Exact differences, not the |a|^2 + |b|^2 - 2ab shortcut, so near ties order as brute force does.
        var dist = cdist(queries.detach().to(float64), x, compute_mode: TorchSharp.compute_mode.donot_use_mm_for_euclid_dist);   // [b, n(query), n(point)]
        var position = arange(n, device: xs.device);
        var future = position.unsqueeze(0) >= position.unsqueeze(1);                      // point j >= query i
        dist = dist.masked_fill(future, double.PositiveInfinity);
        int k = Math.Min(K, n);
        var (_, nearest) = dist.topk(k, dim: -1, largest: false);                          // [b, n, k]
        var valid = (nearest < position.view(1, n, 1)).to(float64);                         // masked picks when i < k
        var neighbourYs = y.unsqueeze(1).expand(b, n, n).gather(2, nearest);
        var prediction = (neighbourYs * valid).sum(-1) / valid.sum(-1).clamp_min(1);
        return prediction.to(float32).MoveToOuterDisposeScope();
    }
}
