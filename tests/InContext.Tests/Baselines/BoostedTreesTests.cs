using InContext.Baselines;
using Xunit;

namespace InContext.Tests.Baselines;

public class BoostedTreesTests
{
    [Fact]
    public void Training_error_falls_with_more_trees()
    {
        var data = Data.Gaussian(seed: 21, b: 1, n: 80, d: 5, x => (x[0] > 0 ? 1 : -1) + x[1] * x[2]);
        var x = Enumerable.Range(0, data.N).SelectMany(i => data.Row(0, i)).ToArray();
        var y = Enumerable.Range(0, data.N).Select(i => data.Y[0, i]).ToArray();
        double variance = y.Select(v => v - y.Average()).Sum(v => v * v) / y.Length;
        var errors = new List<double>();
        foreach (int rounds in new[] { 1, 3, 10, 30, 100 })
        {
            using var model = new BoostedTrees(rounds).Fit(x, y, data.D);
            Assert.Equal(rounds, model.Rounds);
            var predictions = model.Predict(x);
            errors.Add(predictions.Zip(y).Average(t => (t.First - t.Second) * (t.First - t.Second)));
        }
        for (int k = 1; k < errors.Count; k++)
            Assert.True(errors[k] < 0.7 * errors[k - 1], $"training error {string.Join(", ", errors)}");
        Assert.True(errors[^1] < 1e-3 * variance, $"training error {errors[^1]} vs variance {variance}");
    }

    [Fact]
    public void One_example_predicts_its_y()
    {
        var data = Data.Gaussian(seed: 22, b: 3, n: 2, d: 4, x => 3 * x[0]);
        var predictions = data.PredictWith(new BoostedTrees());
        for (int p = 0; p < data.B; p++)
            Assert.Equal(data.Y[p, 0], predictions[p, 1], 1e-5);
    }

    [Fact]
    public void Learns_a_step_function()
    {
        var data = Data.Gaussian(seed: 23, b: 2, n: 61, d: 3, x => x[1] > 0 ? 1 : -1);
        var predictions = data.PredictWith(new BoostedTrees());
        double error = Enumerable.Range(0, data.B).SelectMany(p => Enumerable.Range(40, 21).Select(i => Math.Pow(predictions[p, i] - data.Y[p, i], 2))).Average();
        Assert.True(error < 0.1, $"squared error {error} after 40 examples");
    }
}
