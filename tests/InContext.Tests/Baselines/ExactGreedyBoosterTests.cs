using InContext.Baselines;
using Xunit;

namespace InContext.Tests.Baselines;

/// <summary>
/// The booster against a plain rendering of the same definition: every sum recomputed from
/// scratch, every node's samples sorted afresh, samples and query routed by <c>value &lt; threshold</c>.
/// Feature counts that are and are not multiples of four cover both scans; repeated values,
/// tiny prefixes (two-sample nodes) and queries between the samples cover the edge cases.
/// </summary>
public class ExactGreedyBoosterTests
{
    public static TheoryData<int, bool> Shapes => new()
    {
        { 1, false }, { 3, false }, { 4, false }, { 5, true }, { 8, false }, { 8, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Equals_the_definition_computed_naively(int d, bool repeatedValues)
    {
        var random = new Random(7 + d);
        var settingsList = new[]
        {
            new BoostingSettings(Rounds: 1, MaxDepth: 2),
            new BoostingSettings(Rounds: 8),
            new BoostingSettings(Rounds: 6, MaxDepth: 3, MinChildWeight: 2.5, Lambda: 0.5),
        };
        const int n = 41;
        double Value() => repeatedValues ? Math.Round(Data.Normal(random) * 2) / 2 : Data.Normal(random);
        var x = Enumerable.Range(0, n * d).Select(_ => (double)(float)Value()).ToArray();
        var y = Enumerable.Range(0, n).Select(i => Math.Sin(2 * x[i * d]) + x[i * d + d / 2] * x[i * d + d - 1] + 0.1 * Data.Normal(random)).ToArray();
        var prompt = new Prompt(x, y, x, n, d);
        var sorted = new SortedColumns(prompt);
        foreach (var settings in settingsList)
        {
            var booster = new ExactGreedyBooster(settings, prompt);
            foreach (int count in new[] { 1, 2, 3, 6, 40 })
            {
                var columns = sorted.Prefix(count);
                for (int t = 0; t < 3; t++)
                {
                    var query = Enumerable.Range(0, d).Select(_ => (double)(float)Value()).ToArray();
                    Assert.Equal(Naive(settings, prompt, count, query), booster.FitPredict(columns, count, query), 1e-9);
                }
            }
        }
    }

    [Fact]
    public void A_threshold_between_adjacent_floats_keeps_the_lower_sample_left()
    {
        // Their midpoint rounds down to the lower value; splitting there would send a query equal
        // to it right, away from its own sample. XGBoost then splits at the upper value.
        float low = 1.0f, high = MathF.BitIncrement(1.0f);
        var x = new double[] { low, high };
        var prompt = new Prompt(x, new double[] { 0, 1 }, x, 2, 1);
        var sorted = new SortedColumns(prompt);
        var columns = sorted.Prefix(2);
        var booster = new ExactGreedyBooster(new BoostingSettings(), prompt);
        Assert.True(booster.FitPredict(columns, 2, new double[] { low }) < 0.1);
        Assert.True(booster.FitPredict(columns, 2, new double[] { high }) > 0.9);
    }

    [Fact]
    public void Refuses_columns_that_do_not_match_the_prompt()
    {
        var x = new double[] { 1, 2, 3, 4 };
        var prompt = new Prompt(x, new double[] { 0, 1 }, x, 2, 2);
        var booster = new ExactGreedyBooster(new BoostingSettings(), prompt);
        var columns = new SortedColumns(prompt).Prefix(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => booster.FitPredict(columns, 3, new double[] { 0, 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => booster.FitPredict(columns, 0, new double[] { 0, 0 }));
        Assert.Throws<ArgumentException>(() => booster.FitPredict(columns.Take(1).ToArray(), 2, new double[] { 0, 0 }));
        Assert.Throws<ArgumentException>(() => booster.FitPredict(columns, 2, new double[] { 0 }));
    }

    /// <summary>The booster's definition, written for clarity, not speed.</summary>
    static double Naive(BoostingSettings s, Prompt p, int count, double[] query)
    {
        float Value(int sample, int f) => (float)p.X[sample * p.D + f];
        double start = p.Y.Take(count).Average();
        var prediction = Enumerable.Repeat(start, count).ToArray();
        double atQuery = start;
        int fewest = Math.Max(1, (int)Math.Ceiling(s.MinChildWeight));
        for (int round = 0; round < s.Rounds; round++)
        {
            var g = Enumerable.Range(0, count).Select(i => prediction[i] - p.Y[i]).ToArray();
            double leafAtQuery = 0;
            void Grow(List<int> samples, int depth, bool holdsQuery)
            {
                double total = samples.Sum(i => g[i]);
                int n = samples.Count;
                if (depth < s.MaxDepth && n >= 2 * fewest)
                {
                    // Each feature's best threshold (a later one must win by the tie margin), then the
                    // best feature by the same rule.
                    double bestScore = 0;
                    int bestFeature = -1;
                    float threshold = 0;
                    for (int f = 0; f < p.D; f++)
                    {
                        var order = samples.OrderBy(i => Value(i, f)).ToList();
                        double featureScore = 0;
                        float featureThreshold = 0;
                        for (int k = fewest; k <= n - fewest; k++)
                        {
                            float below = Value(order[k - 1], f), above = Value(order[k], f);
                            if (!(above > below)) continue;
                            double gLeft = order.Take(k).Sum(i => g[i]), gRight = total - gLeft;
                            double score = gLeft * gLeft / (k + s.Lambda) + gRight * gRight / (n - k + s.Lambda);
                            if (score <= featureScore * (1 + 1e-12)) continue;
                            featureScore = score;
                            featureThreshold = (below + above) * 0.5f;
                            if (featureThreshold == below) featureThreshold = above;
                        }
                        if (featureScore > bestScore * (1 + 1e-12))
                            (bestScore, bestFeature, threshold) = (featureScore, f, featureThreshold);
                    }
                    if (bestFeature >= 0 && bestScore - total * total / (n + s.Lambda) > s.MinSplitGain)
                    {
                        bool queryLeft = (float)query[bestFeature] < threshold;
                        Grow(samples.Where(i => Value(i, bestFeature) < threshold).ToList(), depth + 1, holdsQuery && queryLeft);
                        Grow(samples.Where(i => !(Value(i, bestFeature) < threshold)).ToList(), depth + 1, holdsQuery && !queryLeft);
                        return;
                    }
                }
                double leaf = -s.LearningRate * total / (n + s.Lambda);
                foreach (int i in samples) prediction[i] += leaf;
                if (holdsQuery) leafAtQuery = leaf;
            }
            Grow(Enumerable.Range(0, count).ToList(), 0, true);
            atQuery += leafAtQuery;
        }
        return atQuery;
    }
}
