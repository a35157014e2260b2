using InContext.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Identification;

/// <summary>dMMSE, the posterior mean over a run's task pool (Raventós et al. 2023).</summary>
public class DiscreteMmseTests
{
    [Theory]
    [InlineData(0.25)]
    [InlineData(0)]
    public void On_a_pool_of_one_task_it_is_that_task_exactly(double noiseVariance)
    {
        using var g = new Generator(2);
        var w = randn(new long[] { 1, 4 }, generator: g);
        var xs = randn(new long[] { 3, 8, 4 }, generator: g);
        var ys = xs.matmul(w.t()).squeeze(-1) + 0.5 * randn(new long[] { 3, 8 }, generator: g);   // noisy: the posterior still has one member
        var predictions = new DiscreteMmse(w, noiseVariance).Predict(xs, ys);
        var exact = xs.matmul(w.t()).squeeze(-1);
        Assert.True(predictions.allclose(exact, rtol: 1e-5, atol: 1e-5));   // position 0 too: the prior is that task
    }

    [Fact]
    public void Noiseless_data_from_a_pool_member_are_predicted_exactly_once_seen()
    {
        using var g = new Generator(3);
        var pool = randn(new long[] { 64, 5 }, generator: g);
        var members = tensor(new long[] { 3, 17, 40 });
        var xs = randn(new long[] { 3, 6, 5 }, generator: g);
        var ys = xs.bmm(pool.index_select(0, members).unsqueeze(-1)).squeeze(-1);
        var predictions = new DiscreteMmse(pool, 0).Predict(xs, ys);
        Assert.True(predictions.narrow(1, 1, 5).allclose(ys.narrow(1, 1, 5), rtol: 1e-4, atol: 1e-4));
        // with no example it predicts with the pool's mean
        Assert.True(predictions.select(1, 0).allclose(xs.select(1, 0).matmul(pool.mean(new long[] { 0 })), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Its_posterior_weighs_each_member_by_its_Gaussian_likelihood()
    {
        var pool = tensor(new float[] { 1, 0, 0, 1 }).view(2, 2);
        var xs = tensor(new float[] { 1, 1, 2, 0, 0.5f, -1 }).view(1, 3, 2);
        var ys = tensor(new float[] { 1.5f, 1, 0 }).view(1, 3);
        var sigma2 = 0.5;
        // after the first pair (x = (1, 1), y = 1.5) both members err by 0.5: equal weights
        // after two (x = (2, 0), y = 1): member 0 errs 0.5² + 1², member 1 errs 0.5² + 1²... by hand:
        double R(double[] w, int k) => Enumerable.Range(0, k).Sum(t =>
            Math.Pow(new[] { 1.5, 1, 0 }[t] - (new[] { new[] { 1.0, 1 }, new[] { 2.0, 0 }, new[] { 0.5, -1 } }[t][0] * w[0] + new[] { new[] { 1.0, 1 }, new[] { 2.0, 0 }, new[] { 0.5, -1 } }[t][1] * w[1]), 2));
        double[] w0 = [1, 0], w1 = [0, 1];
        var predictions = new DiscreteMmse(pool, sigma2).Predict(xs, ys);
        for (var k = 0; k < 3; k++)
        {
            var (l0, l1) = (Math.Exp(-R(w0, k) / (2 * sigma2)), Math.Exp(-R(w1, k) / (2 * sigma2)));
            var q = new[] { new[] { 1.0, 1 }, new[] { 2.0, 0 }, new[] { 0.5, -1 } }[k];
            var expected = (l0 * q[0] + l1 * q[1]) / (l0 + l1);
            Assert.Equal(expected, predictions[0, k].item<float>(), 5);
        }
    }

    [Fact]
    public void A_run_without_a_task_pool_is_refused_in_one_line()
    {
        var e = Assert.Throws<ParameterException>(() => RunBaselines.DiscreteMmse(InContext.Tests.Probing.ProbingRun.Config));
        Assert.Equal("models", e.Parameter);
        Assert.Contains("num_tasks is not set", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(RunBaselines.Of(InContext.Tests.Probing.ProbingRun.Config));
    }

    [Fact]
    public void A_runs_dMMSE_uses_the_very_pool_it_trained_on()
    {
        var config = InContext.Tests.Probing.ProbingRun.Config with
        {
            Training = InContext.Tests.Probing.ProbingRun.Config.Training with { NumTasks = 3 },
        };
        var dmmse = RunBaselines.DiscreteMmse(config);
        Assert.Equal(3, dmmse.PoolSize);
        Assert.Equal(0, dmmse.NoiseVariance);
        // training's batches draw every function from that pool: noiseless data of a batch are each fitted
        // exactly by one of dMMSE's members, which it then predicts exactly
        using var data = new InContext.Training.TrainingData(config);
        var (xs, ys) = data.Batch(0);
        var predictions = dmmse.Predict(xs, ys);
        Assert.True(predictions.narrow(1, 1, 6).allclose(ys.narrow(1, 1, 6), rtol: 1e-4, atol: 1e-4));
    }
}
