using InContext.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Evaluation;

public class AggregationTests
{
    [Fact]
    public void Bootstrap_interval_contains_the_mean_and_narrows_with_more_prompts()
    {
        using var g = new Generator(1);
        var small = randn(new long[] { 64, 5 }, generator: g).square();
        var large = randn(new long[] { 4096, 5 }, generator: g).square();
        using var b1 = new Generator(2);
        using var b2 = new Generator(2);
        var s = Aggregation.Aggregate(small, b1);
        var l = Aggregation.Aggregate(large, b2);
        for (var k = 0; k < 5; k++)
        {
            Assert.InRange(s.Mean[k], s.BootstrapLow[k], s.BootstrapHigh[k]);
            Assert.InRange(l.Mean[k], l.BootstrapLow[k], l.BootstrapHigh[k]);
            Assert.True(l.BootstrapHigh[k] - l.BootstrapLow[k] < s.BootstrapHigh[k] - s.BootstrapLow[k]);
        }
        // the 90% interval of the mean is about ±1.645 standard errors
        var se = l.Std[0] / Math.Sqrt(4096);
        Assert.InRange(l.BootstrapHigh[0] - l.BootstrapLow[0], 2 * 1.645 * se * 0.85, 2 * 1.645 * se * 1.15);
    }

    [Fact]
    public void Mean_and_unbiased_std_per_position()
    {
        var m = tensor(new float[] { 1, 10, 3, 20 }).view(2, 2);
        using var g = new Generator(1);
        var s = Aggregation.Aggregate(m, g);
        Assert.Equal(new[] { 2.0, 15.0 }, s.Mean);
        Assert.Equal(Math.Sqrt(2), s.Std[0], 10);
        Assert.Equal(Math.Sqrt(50), s.Std[1], 10);
    }
}
