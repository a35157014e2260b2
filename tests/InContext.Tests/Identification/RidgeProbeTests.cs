using InContext.Identification;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Identification;

/// <summary>A linear probe reads what a hidden state holds linearly, and nothing from noise.</summary>
public class RidgeProbeTests
{
    [Fact]
    public void Shuffled_targets_score_about_0_and_real_ones_about_1()
    {
        using var g = new Generator(9);
        const int train = 2000, test = 500, width = 32, d = 5;
        var targets = randn(new long[] { train + test, d }, generator: g);
        // a hidden state from which the target is read linearly, among noise and other features
        var mixing = randn(new long[] { d, width }, generator: g);
        var hidden = targets.matmul(mixing) + 0.1 * randn(new long[] { train + test, width }, generator: g);
        var (fitH, testH) = (hidden.narrow(0, 0, train), hidden.narrow(0, train, test));
        var (fitT, testT) = (targets.narrow(0, 0, train), targets.narrow(0, train, test));
        using (var probe = RidgeProbe.Fit(fitH, fitT))
            Assert.True(probe.Score(testH, testT) > 0.98, $"R² {probe.Score(testH, testT)}");
        // the same hidden states with the targets shuffled across prompts: nothing to read
        var shuffled = fitT.index_select(0, randperm(train, generator: g));
        using (var probe = RidgeProbe.Fit(fitH, shuffled))
        {
            var r2 = probe.Score(testH, testT.index_select(0, randperm(test, generator: g)));
            Assert.InRange(r2, -0.05, 0.02);
        }
    }
}
