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
        // One pair of fifty carries all the loss (y = 100 there, 0 elsewhere) and the net does not
        // learn (rate 0): a step's loss is large exactly when its batch holds that pair. Batches of
        // 10 out of 50 hold it about one step in five; the whole set (batch size ≥ pairs) every step.
        using var scope = NewDisposeScope();
        var xs = randn(new long[] { 2, 50, 3 }, generator: new Generator(32));
        var ys = zeros(2, 50);
        ys[0, 7] = tensor(100f);
        int StepsWithThePair(int batchSize)
        {
            using var generator = new Generator(0);
            using var net = new BatchedMlp(2, 3, 100, CPU, generator);
            var losses = net.Train(xs, ys, steps: 100, batchSize: batchSize, learningRate: 0, generator);
            return losses.Count(l => l > 100 * 100 / 2.0 / 50 / 2);   // half the loss the pair brings to a batch of 50
        }
        Assert.InRange(StepsWithThePair(10), 10, 35);
        Assert.Equal(100, StepsWithThePair(50));
        Assert.Equal(100, StepsWithThePair(100));
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
