using InContext.Baselines;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Baselines;

public class GradientDescentNetTests
{
    [Fact]
    public void Training_loss_falls_well_below_the_zero_predictor()
    {
        using var scope = NewDisposeScope();
        var data = Data.Gaussian(seed: 31, b: 4, n: 30, d: 5, x => Math.Max(0, x[0] + x[1]) - 0.5 * Math.Max(0, x[2]));
        var xs = data.Xs();
        var ys = data.Ys();
        using var generator = new Generator(0);
        using var net = new BatchedMlp(4, 5, 100, CPU, generator);
        var losses = net.Train(xs, ys, steps: 100, batchSize: 100, learningRate: 5e-3, generator);
        double zeroLoss = ys.square().mean().item<float>();
        Assert.True(losses[^1] < 0.1 * zeroLoss, $"loss {losses[0]} → {losses[^1]}, zero predictor {zeroLoss}");
        Assert.True(losses[^1] < 0.1 * losses[0]);
    }

    [Fact]
    public void Mini_batches_when_there_are_more_pairs_than_the_batch_size()
    {
        using var scope = NewDisposeScope();
        var data = Data.Gaussian(seed: 32, b: 2, n: 50, d: 3, x => x[0] - x[1]);
        using var generator = new Generator(0);
        using var net = new BatchedMlp(2, 3, 100, CPU, generator);
        var losses = net.Train(data.Xs(), data.Ys(), steps: 100, batchSize: 10, learningRate: 5e-3, generator);
        Assert.True(losses.TakeLast(10).Average() < 0.2 * losses.Take(10).Average());
    }

    [Fact]
    public void Predictions_are_repeatable()
    {
        using var scope = NewDisposeScope();
        var data = Data.Gaussian(seed: 33, b: 2, n: 6, d: 3, x => x[0]);
        var first = new GradientDescentNet(steps: 10).Predict(data.Xs(), data.Ys());
        var second = new GradientDescentNet(steps: 10).Predict(data.Xs(), data.Ys());
        Assert.True(first.eq(second).all().item<bool>());
    }
}
