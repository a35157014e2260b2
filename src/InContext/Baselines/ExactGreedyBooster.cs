using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InContext.Baselines;

/// <summary>
/// XGBoost's exact greedy tree booster for squared error (<c>tree_method="exact"</c>, which
/// <c>XGBRegressor()</c> chose by itself on data this small when the paper was written), for one
/// prompt's prefixes at a time. Every round fits a regression tree to the gradients
/// <c>g = prediction − y</c> (hessians are 1) and adds <c>eta · w</c> per leaf, with
/// <c>w = −G/(H+λ)</c>. Trees grow depth-wise: a node below <see cref="BoostingSettings.MaxDepth"/>
/// takes the split with the largest loss reduction
/// <c>G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)</c> over all features and all thresholds midway
/// between consecutive distinct values, if that reduction exceeds
/// <see cref="BoostingSettings.MinSplitGain"/> and each child weighs at least min_child_weight;
/// a sample goes left when its value is below the threshold. Ties (scores within a relative
/// 1e-12): the lowest feature, as in XGBoost, then the lowest threshold (XGBoost scans dense
/// columns downwards and keeps the highest; exact ties within a feature are rare in practice).
/// XGBoost sums gradients in double but scores and predicts in float32; here all of it is double.
/// <para>
/// Why by hand: the evaluation fits 100 boosters per prompt (one per prefix) on at most a few
/// hundred samples. LightGBM (<see cref="LightGbmBoostedTrees"/>) spends a few hundred µs per tree
/// there on fixed costs (datasets, histograms over every bin); this presorted scan costs ~12 µs:
/// the paper's decision-tree evaluation takes 75 s on 2 cores instead of ~800 s.
/// </para>
/// <para>
/// The work per level is linear in the node's samples: every feature keeps its samples sorted,
/// grouped by node; a split partitions each feature's group stably, so sorting happens once
/// per prompt (<see cref="SortedColumns"/>). Not thread-safe: one instance per worker.
/// </para>
/// </summary>
public sealed class ExactGreedyBooster
{
    // Different features often cut a node into the same two groups, whose sums then differ only by
    // rounding (summed in another order): such a score is a tie, and the lowest feature keeps it.
    const double TieMargin = 1e-12;

    readonly BoostingSettings settings;
    readonly int d;
    readonly float[][] values;              // values[f][s]: feature f of sample s, float32 as XGBoost keeps them
    readonly double[] y, prediction, gradient;
    readonly double[] inverseWeight;        // 1 / (k + λ) for k samples: hessians are all 1
    readonly bool[] goesLeft;
    readonly int[][] scratchA, scratchB;    // the levels' columns below the root, alternately
    int[][] columns = [];                   // each feature's samples, grouped by node, sorted within
    Node[] nodes, nextNodes;                // the nodes of the level being split

    /// <summary>A node of the level being grown: its samples are <c>columns[f][Start..Start+Count)</c>.</summary>
    readonly record struct Node(int Start, int Count, double G, bool HoldsQuery);

    readonly record struct Split(int Feature, int LeftCount, double GLeft, float Threshold);

    /// <summary>Scratch space for prefixes of <paramref name="prompt"/> (row-major x, its y).</summary>
    public ExactGreedyBooster(BoostingSettings settings, Prompt prompt)
    {
        this.settings = settings.Validated();
        int n = prompt.N;
        d = prompt.D;
        values = new float[d][];
        for (int f = 0; f < d; f++)
        {
            values[f] = new float[n];
            for (int s = 0; s < n; s++) values[f][s] = (float)prompt.X[s * d + f];
        }
        y = prompt.Y;
        prediction = new double[n];
        gradient = new double[n];
        goesLeft = new bool[n];
        inverseWeight = new double[n + 1];
        for (int k = 0; k <= n; k++) inverseWeight[k] = 1.0 / (k + settings.Lambda);
        scratchA = NewColumns(d, n);
        scratchB = NewColumns(d, n);
        nodes = new Node[n];
        nextNodes = new Node[n];
    }

    static int[][] NewColumns(int d, int n) => Enumerable.Range(0, d).Select(_ => new int[n]).ToArray();

    /// <summary>
    /// Boosts on samples <c>0..count-1</c>, whose per-feature sorted orders are
    /// <c>sorted[f][0..count)</c> (each a permutation of <c>0..count-1</c>, as
    /// <see cref="SortedColumns.Prefix"/> fills them), and returns the prediction at <paramref name="query"/>. The
    /// starting prediction is the mean of y (<c>base_score</c> as XGBoost ≥ 2 estimates it).
    /// </summary>
    public double FitPredict(int[][] sorted, int count, ReadOnlySpan<double> query)
    {
        // The scans index without bounds checks, so what they trust is checked here, once.
        if (count < 1 || count > y.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"between 1 and the prompt's {y.Length} samples");
        if (sorted.Length != d || sorted.Any(column => column.Length < count))
            throw new ArgumentException($"expected {d} sorted columns of at least {count} samples", nameof(sorted));
        if (query.Length != d) throw new ArgumentException($"expected a query of {d} values, got {query.Length}", nameof(query));
        double start = 0;
        for (int s = 0; s < count; s++) start += y[s];
        start /= count;
        Array.Fill(prediction, start, 0, count);
        double atQuery = start;
        for (int round = 0; round < settings.Rounds; round++)
            atQuery += GrowTree(sorted, count, query);
        return atQuery;
    }

    /// <summary>Fits one tree to the current gradients, adds its leaves to the predictions, returns its value at the query.</summary>
    double GrowTree(int[][] sorted, int count, ReadOnlySpan<double> query)
    {
        double total = 0;
        for (int s = 0; s < count; s++)
        {
            gradient[s] = prediction[s] - y[s];
            total += gradient[s];
        }
        columns = sorted;   // the root's samples are the prefix's sorted orders, read in place
        var nextColumns = scratchA;
        nodes[0] = new Node(0, count, total, true);
        int active = 1;
        double atQuery = 0;
        for (int depth = 0; active > 0; depth++)
        {
            // The children of the deepest splits are leaves: only their samples are needed, not the order.
            int partitioned = depth + 1 < settings.MaxDepth ? d : 1;
            int next = 0, start = 0;
            for (int i = 0; i < active; i++)
            {
                var node = nodes[i];
                if (depth >= settings.MaxDepth || BestSplit(node) is not { } split)
                {
                    double leaf = -settings.LearningRate * node.G * inverseWeight[node.Count];
                    foreach (int s in columns[0].AsSpan(node.Start, node.Count)) prediction[s] += leaf;
                    if (node.HoldsQuery) atQuery = leaf;
                    continue;
                }
                var feature = columns[split.Feature].AsSpan(node.Start, node.Count);
                for (int p = 0; p < feature.Length; p++) goesLeft[feature[p]] = p < split.LeftCount;
                for (int f = 0; f < partitioned; f++)
                    Partition(columns[f], nextColumns[f], node.Start, start, node.Count, split.LeftCount);
                bool queryLeft = (float)query[split.Feature] < split.Threshold;
                nextNodes[next++] = new Node(start, split.LeftCount, split.GLeft, node.HoldsQuery && queryLeft);
                nextNodes[next++] = new Node(start + split.LeftCount, node.Count - split.LeftCount, node.G - split.GLeft, node.HoldsQuery && !queryLeft);
                start += node.Count;
            }
            (columns, nextColumns) = (nextColumns, nextColumns == scratchA ? scratchB : scratchA);
            (nodes, nextNodes) = (nextNodes, nodes);
            active = next;
        }
        return atQuery;
    }

    // The two loops below run for every sample, feature, level, round and prefix (~10¹¹ times per
    // evaluation), so they index through refs: no bounds checks, samples are known to be < n.

    /// <summary>Stable partition of <paramref name="count"/> samples by <see cref="goesLeft"/>: left samples first.</summary>
    void Partition(int[] source, int[] target, int sourceStart, int targetStart, int count, int leftCount)
    {
        ref int from = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(source), sourceStart);
        ref int to = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(target), targetStart);
        ref byte left = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetArrayDataReference(goesLeft));
        int l = 0, r = leftCount;
        for (int p = 0; p < count; p++)
        {
            // Branch-free: half the samples go each way, so a branch would be mispredicted half the time.
            int s = Unsafe.Add(ref from, p);
            int isLeft = Unsafe.Add(ref left, s);
            Unsafe.Add(ref to, r + ((l - r) & -isLeft)) = s;
            l += isLeft;
            r += 1 - isLeft;
        }
    }

    /// <summary>
    /// The best threshold found so far; a later one must beat it by the tie margin. Each feature
    /// finds its own best first, then the features' bests are offered in order, so the vector and
    /// the scalar scans choose the same split whatever the hardware.
    /// </summary>
    struct Best
    {
        public double Score, Beat, GLeft;
        public int Feature, Left;

        public void Offer(double score, int feature, int left, double gLeft)
        {
            if (!(score > Beat)) return;
            (Score, Beat, Feature, Left, GLeft) = (score, score + TieMargin * score, feature, left, gLeft);
        }
    }

    /// <summary>The best split of <paramref name="node"/>, or null if none reduces the loss by more than the minimum.</summary>
    Split? BestSplit(Node node)
    {
        int n = node.Count;
        // Hessians are 1, so a child's weight is its sample count: k ≥ min_child_weight on both sides.
        int fewest = Math.Max(1, (int)Math.Ceiling(settings.MinChildWeight));
        if (n < 2 * fewest) return null;
        var best = new Best { Feature = -1 };   // scores are sums of squares: any split beats 0
        int f = 0;
        if (n == 2)
        {
            // Every feature that separates two samples makes the same two children (the scores
            // differ by rounding, a tie), so the first such feature is the split: skip the rest.
            while (f < d && values[f][columns[f][node.Start]] == values[f][columns[f][node.Start + 1]]) f++;
            if (f < d) ScanOne(node, f, fewest, ref best);
            f = d;
        }
        if (Vector256.IsHardwareAccelerated)
            for (; f + 4 <= d; f += 4) ScanFour(node, f, fewest, ref best);
        for (; f < d; f++) ScanOne(node, f, fewest, ref best);

        if (best.Feature < 0 || best.Score - node.G * node.G * inverseWeight[n] <= settings.MinSplitGain) return null;
        var column = columns[best.Feature];
        float below = values[best.Feature][column[node.Start + best.Left - 1]], above = values[best.Feature][column[node.Start + best.Left]];
        float threshold = (below + above) * 0.5f;
        if (threshold == below) threshold = above;   // adjacent floats: the midpoint rounds down; XGBoost then splits at the upper value
        return new Split(best.Feature, best.Left, best.GLeft, threshold);
    }

    /// <summary>
    /// Scores every threshold of feature <paramref name="f"/> on the node: k samples left,
    /// <c>G_L²/(k+λ) + G_R²/(n−k+λ)</c>, where values differ and both children weigh enough.
    /// </summary>
    void ScanOne(Node node, int f, int fewest, ref Best best)
    {
        int n = node.Count;
        double g = node.G;
        ref double gradients = ref MemoryMarshal.GetArrayDataReference(gradient);
        ref double inverse = ref MemoryMarshal.GetArrayDataReference(inverseWeight);
        ref int column = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns[f]), node.Start);
        ref float x = ref MemoryMarshal.GetArrayDataReference(values[f]);
        int before = column;   // the sample just left of the threshold
        float previous = Unsafe.Add(ref x, before);
        double gLeft = 0;
        var mine = new Best { Feature = -1 };
        for (int k = 1; k <= n - fewest; k++)
        {
            gLeft += Unsafe.Add(ref gradients, before);
            before = Unsafe.Add(ref column, k);
            float current = Unsafe.Add(ref x, before);
            bool distinct = current > previous;   // no threshold between equal values
            previous = current;
            if (!distinct || k < fewest) continue;
            double gRight = g - gLeft;
            mine.Offer(gLeft * gLeft * Unsafe.Add(ref inverse, k) + gRight * gRight * Unsafe.Add(ref inverse, n - k), f, k, gLeft);
        }
        if (mine.Feature >= 0) best.Offer(mine.Score, f, mine.Left, mine.GLeft);
    }

    /// <summary>
    /// <see cref="ScanOne"/> for features f..f+3 at once, one per vector lane: a node's columns all
    /// have its n samples, so the four scans step through k together (about twice as fast).
    /// </summary>
    void ScanFour(Node node, int f, int fewest, ref Best best)
    {
        int n = node.Count;
        ref double gradients = ref MemoryMarshal.GetArrayDataReference(gradient);
        ref double inverse = ref MemoryMarshal.GetArrayDataReference(inverseWeight);
        ref int c0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns[f]), node.Start);
        ref int c1 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns[f + 1]), node.Start);
        ref int c2 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns[f + 2]), node.Start);
        ref int c3 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns[f + 3]), node.Start);
        ref float x0 = ref MemoryMarshal.GetArrayDataReference(values[f]);
        ref float x1 = ref MemoryMarshal.GetArrayDataReference(values[f + 1]);
        ref float x2 = ref MemoryMarshal.GetArrayDataReference(values[f + 2]);
        ref float x3 = ref MemoryMarshal.GetArrayDataReference(values[f + 3]);
        int b0 = c0, b1 = c1, b2 = c2, b3 = c3;
        // float values widened to double lanes, like the scores they are compared with
        var previous = Vector256.Create((double)Unsafe.Add(ref x0, b0), Unsafe.Add(ref x1, b1), Unsafe.Add(ref x2, b2), Unsafe.Add(ref x3, b3));
        var g = Vector256.Create(node.G);
        var gLeft = Vector256<double>.Zero;
        var bestScore = Vector256<double>.Zero;
        var beat = Vector256<double>.Zero;
        var bestLeft = Vector256<double>.Zero;
        var bestGLeft = Vector256<double>.Zero;
        for (int k = 1; k <= n - fewest; k++)
        {
            gLeft += Vector256.Create(Unsafe.Add(ref gradients, b0), Unsafe.Add(ref gradients, b1), Unsafe.Add(ref gradients, b2), Unsafe.Add(ref gradients, b3));
            b0 = Unsafe.Add(ref c0, k); b1 = Unsafe.Add(ref c1, k); b2 = Unsafe.Add(ref c2, k); b3 = Unsafe.Add(ref c3, k);
            var current = Vector256.Create((double)Unsafe.Add(ref x0, b0), Unsafe.Add(ref x1, b1), Unsafe.Add(ref x2, b2), Unsafe.Add(ref x3, b3));
            var distinct = Vector256.GreaterThan(current, previous);
            previous = current;
            if (k < fewest) continue;
            var gRight = g - gLeft;
            var score = gLeft * gLeft * Unsafe.Add(ref inverse, k) + gRight * gRight * Unsafe.Add(ref inverse, n - k);
            var better = Vector256.GreaterThan(score, beat) & distinct;
            if (better == Vector256<double>.Zero) continue;
            bestScore = Vector256.ConditionalSelect(better, score, bestScore);
            beat = Vector256.ConditionalSelect(better, score + TieMargin * score, beat);
            bestLeft = Vector256.ConditionalSelect(better, Vector256.Create((double)k), bestLeft);
            bestGLeft = Vector256.ConditionalSelect(better, gLeft, bestGLeft);
        }
        for (int lane = 0; lane < 4; lane++)
            if (bestLeft[lane] > 0)
                best.Offer(bestScore[lane], f + lane, (int)bestLeft[lane], bestGLeft[lane]);
    }
}
