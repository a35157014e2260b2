using InContext.Baselines;
using Xunit;

namespace InContext.Tests.Baselines;

public class BoostedTreesTests
{
    [Fact]
    public void LightGbm_training_error_falls_with_more_trees()
    {
        var data = Data.Gaussian(seed: 21, b: 1, n: 80, d: 5, x => (x[0] > 0 ? 1 : -1) + x[1] * x[2]);
        var x = Enumerable.Range(0, data.N).SelectMany(i => data.Row(0, i)).ToArray();
        var y = Enumerable.Range(0, data.N).Select(i => data.Y[0, i]).ToArray();
        double variance = y.Select(v => v - y.Average()).Sum(v => v * v) / y.Length;
        var errors = new List<double>();
        foreach (int rounds in new[] { 1, 3, 10, 30, 100 })
        {
            using var model = new LightGbmBoostedTrees(new BoostingSettings(Rounds: rounds)).Fit(x, y, data.D);
            Assert.InRange(model.Rounds, 1, rounds);
            var predictions = model.Predict(x);
            errors.Add(predictions.Zip(y).Average(t => (t.First - t.Second) * (t.First - t.Second)));
        }
        AssertFalls(errors, variance);
    }

    [Fact]
    public void Training_error_falls_with_more_trees()
    {
        var data = Data.Gaussian(seed: 21, b: 1, n: 80, d: 5, x => (x[0] > 0 ? 1 : -1) + x[1] * x[2]);
        var prompt = PromptOf(data, 0);
        var sorted = new SortedColumns(prompt);
        var columns = sorted.Prefix(data.N);
        double variance = prompt.Y.Select(v => v - prompt.Y.Average()).Sum(v => v * v) / data.N;
        var errors = new List<double>();
        foreach (int rounds in new[] { 1, 3, 10, 30, 100 })
        {
            var booster = new ExactGreedyBooster(new BoostingSettings(Rounds: rounds), prompt);
            errors.Add(Enumerable.Range(0, data.N).Average(i => Math.Pow(booster.FitPredict(columns, data.N, prompt.Row(i)) - prompt.Y[i], 2)));
        }
        AssertFalls(errors, variance);
    }

    static void AssertFalls(List<double> errors, double variance)
    {
        for (int k = 1; k < errors.Count; k++)
            Assert.True(errors[k] < 0.7 * errors[k - 1], $"training error {string.Join(", ", errors)}");
        Assert.True(errors[^1] < 1e-3 * variance, $"training error {errors[^1]} vs variance {variance}");
    }

    [Fact]
    public void A_stump_takes_the_best_split_by_brute_force()
    {
        // One round of depth 1: the prediction is mean(y) + eta·w of the query's side, where the split
        // maximises G_L²/(n_L+λ) + G_R²/(n_R+λ) over every feature and midpoint, and w = −G/(n+λ).
        var settings = new BoostingSettings(Rounds: 1, MaxDepth: 1, LearningRate: 0.5, Lambda: 2);
        var data = Data.Gaussian(seed: 24, b: 6, n: 30, d: 4, x => x[0] * x[1] + Math.Sin(3 * x[2]));
        var random = new Random(5);
        for (int p = 0; p < data.B; p++)
        {
            var prompt = PromptOf(data, p);
            var sorted = new SortedColumns(prompt);
            int count = 10 + 3 * p;
            var columns = sorted.Prefix(count);
            var query = Enumerable.Range(0, data.D).Select(_ => Data.Normal(random)).ToArray();
            double actual = new ExactGreedyBooster(settings, prompt).FitPredict(columns, count, query);

            double mean = prompt.Y.Take(count).Average();
            var g = prompt.Y.Take(count).Select(v => mean - v).ToArray();
            double Score(IEnumerable<int> side) { double s = side.Sum(i => g[i]); return s * s / (side.Count() + settings.Lambda); }
            var best = (score: double.NegativeInfinity, feature: -1, threshold: 0.0);
            for (int f = 0; f < data.D; f++)
                foreach (double t in Enumerable.Range(0, count).Select(i => prompt.X[i * data.D + f]).Order().Zip(
                             Enumerable.Range(0, count).Select(i => prompt.X[i * data.D + f]).Order().Skip(1), (a, b) => (a + b) / 2))
                {
                    var left = Enumerable.Range(0, count).Where(i => prompt.X[i * data.D + f] < t).ToArray();
                    double score = Score(left) + Score(Enumerable.Range(0, count).Except(left));
                    if (score > best.score + 1e-12) best = (score, f, t);
                }
            var side = Enumerable.Range(0, count).Where(i => (prompt.X[i * data.D + best.feature] < best.threshold) == (query[best.feature] < best.threshold)).ToArray();
            double expected = mean - settings.LearningRate * side.Sum(i => g[i]) / (side.Length + settings.Lambda);
            Assert.Equal(expected, actual, 1e-12);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 6)]
    [InlineData(10, 2)]
    [InlineData(100, 6)]
    public void Fits_the_training_points_as_LightGbm_does(int rounds, int depth)
    {
        // The same method: trees of the same shape, λ, minimum gain and start. The two place a
        // threshold differently (within the node here, as XGBoost; between the neighbours in the
        // whole data set in LightGBM, whose bins are global), which moves queries that fall between
        // samples, not the training points: so compare those. Values are kept away from zero, where
        // LightGBM adds a bin edge of its own. The minimum gain is 0: above it, once no split is
        // left LightGBM stops boosting, where XGBoost (and this) keep adding one-leaf trees.
        var settings = new BoostingSettings(Rounds: rounds, MaxDepth: depth, MinSplitGain: 0);
        var data = Data.Gaussian(seed: 25, b: 4, n: 41, d: 5, x => (x[0] > 0 ? 1 : -1) + x[1] * x[2]);
        var lightGbm = new LightGbmBoostedTrees(settings);
        double worst = 0;
        for (int p = 0; p < data.B; p++)
        {
            var prompt = PromptOf(data, p, shift: 6);
            var sorted = new SortedColumns(prompt);
            var booster = new ExactGreedyBooster(settings, prompt);
            int count = 10 * (p + 1);
            var columns = sorted.Prefix(count);
            using var reference = lightGbm.Fit(prompt.X.AsSpan(0, count * data.D), prompt.Y.AsSpan(0, count), data.D);
            for (int i = 0; i < count; i++)
                worst = Math.Max(worst, Math.Abs(booster.FitPredict(columns, count, prompt.Row(i)) - reference.Predict(prompt.Row(i))[0]));
        }
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_example_predicts_its_y(bool lightGbm)
    {
        var data = Data.Gaussian(seed: 22, b: 3, n: 2, d: 4, x => 3 * x[0]);
        var predictions = data.PredictWith(lightGbm ? new LightGbmBoostedTrees() : new BoostedTrees());
        for (int p = 0; p < data.B; p++)
            Assert.Equal(data.Y[p, 0], predictions[p, 1], 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Learns_a_step_function(bool lightGbm)
    {
        var data = Data.Gaussian(seed: 23, b: 2, n: 61, d: 3, x => x[1] > 0 ? 1 : -1);
        var predictions = data.PredictWith(lightGbm ? new LightGbmBoostedTrees() : new BoostedTrees());
        double error = Enumerable.Range(0, data.B).SelectMany(p => Enumerable.Range(40, 21).Select(i => Math.Pow(predictions[p, i] - data.Y[p, i], 2))).Average();
        Assert.True(error < 0.1, $"squared error {error} after 40 examples");
    }

    static Prompt PromptOf(Data data, int p, double shift = 0)
    {
        var x = Enumerable.Range(0, data.N).SelectMany(i => data.Row(p, i)).Select(v => v + shift).ToArray();
        return new Prompt(x, Enumerable.Range(0, data.N).Select(i => data.Y[p, i]).ToArray(), x, data.N, data.D);
    }
}
