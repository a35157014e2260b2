

namespace InContext.Baselines;

/// <summary>
/// Greedy regression tree with scikit-learn's <c>DecisionTreeRegressor</c> rules (squared error,
/// best split over all features, min_samples_split 2, min_samples_leaf 1): a node is a leaf at
/// <see cref="MaxDepth"/>, below 2 samples, or when pure (variance ≤ machine epsilon); otherwise it
/// takes the split with the largest decrease of squared error, the threshold halfway between
/// two consecutive distinct values (values closer than 1e-7 count as equal); a leaf predicts its
/// mean.
/// <para>
/// Ties between equally good splits: scikit-learn visits features in a random order and keeps
/// the first best; here the lowest feature index, then the lowest threshold, wins, so the
/// result is deterministic.
/// </para>
/// <para>
/// Work saved: every feature is sorted once per prompt; a prefix's sorted columns are a filter
/// of those. Each split depends only on the samples of its node, so to predict one query the
/// tree is grown only along the query's path, which gives the prediction of the full tree.
/// </para>
/// </summary>
public sealed class GreedyTree : IndependentPrefixLearner
{
    const double FeatureThreshold = 1e-7;   // scikit-learn's FEATURE_THRESHOLD
    const double TieMargin = 1e-12;         // relative: rounding differences are not improvements
    static readonly double MachineEpsilon = Math.BitIncrement(1.0) - 1.0;   // scikit-learn's EPSILON (numpy's eps)

    /// <summary>A tree grown to depth <paramref name="maxDepth"/> at most.</summary>
    /// <param name="maxDepth">The largest depth, at least 1; null grows until every leaf is pure.</param>
    public GreedyTree(int? maxDepth)
    {
        if (maxDepth < 1) throw new ArgumentOutOfRangeException(nameof(maxDepth), maxDepth, "depth must be at least 1");
        MaxDepth = maxDepth;
    }

    /// <summary>Largest depth; null grows until every leaf is pure.</summary>
    public int? MaxDepth { get; }

    /// <summary>Unlimited depth is <c>tree</c>; depth k is <c>tree_depth_k</c>.</summary>
    public const string Id = "tree";
    /// <summary>The identifier of the tree of depth <paramref name="depth"/> at most, <c>tree_depth_k</c>.</summary>
    public static string IdOfDepth(int depth) => $"tree_depth_{depth}";

    /// <inheritdoc/>
    public override string Name => MaxDepth is { } depth ? IdOfDepth(depth) : Id;
    /// <inheritdoc/>
    public override string DisplayName => MaxDepth is { } depth ? $"Greedy Tree Learning (max_depth={depth})" : "Greedy Tree Learning";

    /// <inheritdoc/>
    protected override Func<int, double> Prepare(Prompt prompt)
    {
        var sorted = new SortedColumns(prompt);
        var goesLeft = new bool[prompt.N];
        return i => PredictAlongPath(prompt, sorted.Prefix(i), i, prompt.Query(i), goesLeft);
    }

    /// <summary>
    /// Grows the tree on the samples in <paramref name="columns"/> (each feature's samples in
    /// increasing order of that feature, first <paramref name="count"/> entries) along the path
    /// of <paramref name="query"/>, and returns the mean of the leaf it reaches.
    /// </summary>
    double PredictAlongPath(Prompt prompt, int[][] columns, int count, ReadOnlySpan<double> query, bool[] goesLeft)
    {
        int d = prompt.D;
        for (int depth = 0; ; depth++)
        {
            var node = columns[0].AsSpan(0, count);
            double sum = 0, sumSquares = 0;
            foreach (int s in node) { sum += prompt.Y[s]; sumSquares += prompt.Y[s] * prompt.Y[s]; }
            double mean = sum / count;
            if (count < 2 || depth >= MaxDepth || sumSquares / count - mean * mean <= MachineEpsilon)
                return mean;

            var split = BestSplit(prompt, columns, count, sum);
            if (split.Feature < 0)
                return mean;   // every feature constant on this node

            bool left = query[split.Feature] <= split.Threshold;
            foreach (int s in columns[split.Feature].AsSpan(0, count))
                goesLeft[s] = prompt.X[s * d + split.Feature] <= split.Threshold;
            int kept = 0;
            for (int f = 0; f < d; f++)
            {
                var column = columns[f];
                kept = 0;
                for (int p = 0; p < count; p++)
                    if (goesLeft[column[p]] == left) column[kept++] = column[p];
            }
            count = kept;
        }
    }

    readonly record struct Split(int Feature, double Threshold);

    /// <summary>scikit-learn's BestSplitter: maximise sumL²/nL + sumR²/nR over features and positions.</summary>
    static Split BestSplit(Prompt prompt, int[][] columns, int count, double sum)
    {
        int d = prompt.D;
        var best = new Split(-1, 0);
        double bestProxy = double.NegativeInfinity;
        for (int f = 0; f < d; f++)
        {
            var column = columns[f];
            double Value(int p) => prompt.X[column[p] * d + f];
            if (Value(count - 1) <= Value(0) + FeatureThreshold) continue;   // constant feature
            double sumLeft = 0;
            for (int p = 1; p < count; p++)
            {
                sumLeft += prompt.Y[column[p - 1]];
                double previous = Value(p - 1), current = Value(p);
                if (current <= previous + FeatureThreshold) continue;
                double sumRight = sum - sumLeft;
                double proxy = sumLeft * sumLeft / p + sumRight * sumRight / (count - p);
                if (best.Feature < 0 || proxy > bestProxy + TieMargin * Math.Abs(bestProxy))
                {
                    bestProxy = proxy;
                    double threshold = previous / 2.0 + current / 2.0;
                    if (threshold == current || double.IsInfinity(threshold)) threshold = previous;
                    best = new Split(f, threshold);
                }
            }
        }
        return best;
    }
}
