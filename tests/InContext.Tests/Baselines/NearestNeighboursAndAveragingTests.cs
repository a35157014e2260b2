using InContext.Baselines;
using Xunit;

namespace InContext.Tests.Baselines;

public class NearestNeighboursAndAveragingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Nearest_neighbours_agree_with_brute_force(int k)
    {
        var data = Data.Gaussian(seed: k, b: 5, n: 30, d: 3, x => Math.Sin(3 * x[0]) + x[1] * x[2]);
        var predictions = data.PredictWith(new NearestNeighbours(k));
        for (int p = 0; p < data.B; p++)
            for (int i = 1; i < data.N; i++)
            {
                var nearest = Enumerable.Range(0, i)
                    .OrderBy(j => data.Row(p, j).Zip(data.Row(p, i)).Sum(t => (t.First - t.Second) * (t.First - t.Second)))
                    .Take(k).ToList();
                Assert.Equal(nearest.Average(j => data.Y[p, j]), predictions[p, i], 1e-5);
            }
    }

    [Fact]
    public void Averaging_predicts_x_dot_mean_of_y_x()
    {
        var data = Data.Linear(seed: 4, b: 3, n: 15, d: 4);
        var predictions = data.PredictWith(new Averaging());
        for (int p = 0; p < data.B; p++)
            for (int i = 1; i < data.N; i++)
            {
                double prediction = 0;
                for (int k = 0; k < data.D; k++)
                    prediction += data.X[p, i, k] * Enumerable.Range(0, i).Average(j => data.Y[p, j] * data.X[p, j, k]);
                Assert.Equal(prediction, predictions[p, i], 1e-4);
            }
    }
}
