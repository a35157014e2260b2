using InContext.Baselines;
using Xunit;

namespace InContext.Tests.Baselines;

public class GreedyTreeTests
{
    public static TheoryData<int?, bool> Cases => new()
    {
        { 1, false }, { 2, false }, { 4, false }, { null, false },
        { 2, true }, { 4, true }, { null, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Agrees_with_brute_force(int? maxDepth, bool treeTargets)
    {
        // Tree targets take few distinct values, so many splits tie: the tie rule is tested too.
        var data = treeTargets
            ? Data.Gaussian(seed: 11, b: 5, n: 30, d: 4, x => x[0] > 0 ? (x[1] > 0 ? 1 : -0.5) : (x[2] > 0 ? 2 : 0))
            : Data.Gaussian(seed: 12, b: 5, n: 30, d: 4, x => Math.Sin(2 * x[0]) + x[1] * x[3]);
        var predictions = data.PredictWith(new GreedyTree(maxDepth));
        for (int p = 0; p < data.B; p++)
            for (int i = 1; i < data.N; i++)
            {
                var samples = Enumerable.Range(0, i).Select(j => (X: data.Row(p, j), Y: data.Y[p, j])).ToList();
                var tree = Grow(samples, depth: 0, maxDepth);
                Assert.True(Math.Abs(tree(data.Row(p, i)) - predictions[p, i]) < 1e-5, $"prompt {p}, position {i}: brute force {tree(data.Row(p, i))}, learner {predictions[p, i]}");
            }
    }

    [Fact]
    public void Unlimited_depth_fits_its_examples()
    {
        var data = Data.Gaussian(seed: 13, b: 1, n: 60, d: 5, x => x.Sum());
        for (int k = 0; k < 5; k++) data.X[0, 59, k] = data.X[0, 10, k];   // query = example 10
        var predictions = data.PredictWith(new GreedyTree(null));
        Assert.Equal(data.Y[0, 10], predictions[0, 59], 1e-6);
    }

    [Fact]
    public void Depth_four_takes_at_most_sixteen_values()
    {
        // 300 prompts sharing 59 examples, each with its own query at position 59.
        var examples = Data.Gaussian(seed: 14, b: 1, n: 59, d: 5, x => x.Sum());
        var queries = Data.Gaussian(seed: 15, b: 300, n: 1, d: 5, _ => 0);
        var x = new double[300, 60, 5];
        var y = new double[300, 60];
        for (int p = 0; p < 300; p++)
            for (int i = 0; i < 60; i++)
            {
                for (int k = 0; k < 5; k++) x[p, i, k] = i < 59 ? examples.X[0, i, k] : queries.X[p, 0, k];
                y[p, i] = i < 59 ? examples.Y[0, i] : 0;
            }
        var data = new Data(x, y);
        var predictions = data.PredictWith(new GreedyTree(4));
        int distinct = Enumerable.Range(0, 300).Select(p => predictions[p, 59]).Distinct().Count();
        Assert.InRange(distinct, 8, 16);
    }

    /// <summary>
    /// The reference: every feature, every threshold halfway between consecutive distinct values,
    /// the split with the least total squared error (first feature, then lowest threshold, on
    /// ties); leaves predict their mean; stop at the depth limit, below 2 samples or when pure.
    /// </summary>
    static Func<double[], double> Grow(List<(double[] X, double Y)> samples, int depth, int? maxDepth)
    {
        double mean = samples.Average(s => s.Y);
        if (samples.Count < 2 || depth == maxDepth || samples.All(s => s.Y == samples[0].Y))
            return _ => mean;
        double bestError = double.PositiveInfinity;
        (int Feature, double Threshold)? best = null;
        for (int f = 0; f < samples[0].X.Length; f++)
        {
            var values = samples.Select(s => s.X[f]).Distinct().OrderBy(v => v).ToList();
            for (int t = 1; t < values.Count; t++)
            {
                double threshold = (values[t - 1] + values[t]) / 2;
                double error = SquaredError(samples.Where(s => s.X[f] <= threshold)) + SquaredError(samples.Where(s => s.X[f] > threshold));
                if (best is null || error < bestError - 1e-9 * (1 + Math.Abs(bestError)))
                {
                    bestError = error;
                    best = (f, threshold);
                }
            }
        }
        if (best is not var (feature, cut))
            return _ => mean;
        var left = Grow(samples.Where(s => s.X[feature] <= cut).ToList(), depth + 1, maxDepth);
        var right = Grow(samples.Where(s => s.X[feature] > cut).ToList(), depth + 1, maxDepth);
        return x => x[feature] <= cut ? left(x) : right(x);
    }

    static double SquaredError(IEnumerable<(double[] X, double Y)> samples)
    {
        var ys = samples.Select(s => s.Y).ToList();
        double mean = ys.Average();
        return ys.Sum(y => (y - mean) * (y - mean));
    }
}
