using InContext.Training;
using Xunit;

namespace InContext.Tests.Training;

/// <summary>The time-left estimate of training progress, fed step times (no clock involved).</summary>
public class TimeLeftTests
{
    /// <summary>Feeds <paramref name="seconds"/>, one step's duration each, starting after <paramref name="doneBefore"/> steps.</summary>
    static TimeLeft Feed(IEnumerable<double> seconds, int doneBefore = 0)
    {
        var left = new TimeLeft();
        var (done, clock) = (doneBefore, 0.0);
        foreach (var s in seconds) left.Add(++done, clock += s);
        return left;
    }

    [Fact]
    public void The_warm_up_does_not_count()
    {
        // A first step of 10 s (compilation), then 0.1 s a step: the pace of the first step said
        // 10 s a step, the pace of all steps so far 0.43 s; the run has 97 s left.
        var steps = new[] { 10.0 }.Concat(Enumerable.Repeat(0.1, 29)).ToList();
        var left = Feed(steps);
        Assert.Equal(97, left.SecondsLeft(1000)!.Value, 6);
        Assert.Equal(10, left.StepsPerSecond!.Value, 6);
        var naive = (1000 - 30) / (30 / steps.Sum());   // what a pace over every step so far said: over 4 times too long
        Assert.True(naive > 4 * 97, $"{naive}");
    }

    [Fact]
    public void No_estimate_until_enough_steps_past_the_warm_up_are_timed()
    {
        var warmUpAndMeasured = TimeLeft.WarmUpSteps + TimeLeft.MeasuredSteps;
        Assert.Null(Feed([]).SecondsLeft(100));
        Assert.Null(Feed(Enumerable.Repeat(0.2, warmUpAndMeasured - 1)).SecondsLeft(100));
        Assert.Equal((100 - warmUpAndMeasured) * 0.2, Feed(Enumerable.Repeat(0.2, warmUpAndMeasured)).SecondsLeft(100)!.Value, 6);
    }

    [Fact]
    public void A_resumed_run_warms_up_again_and_counts_only_the_steps_left()
    {
        // resumed after 500 of 1000 steps: its process compiles again; 20 steps later 480 are left
        var left = Feed(new[] { 8.0 }.Concat(Enumerable.Repeat(0.5, 19)), doneBefore: 500);
        Assert.Equal(480 * 0.5, left.SecondsLeft(1000)!.Value, 6);
        Assert.Equal(0, left.SecondsLeft(520)!.Value);
    }

    [Fact]
    public void Uneven_steps_give_their_mean_pace()
    {
        var steps = Enumerable.Repeat(3.0, TimeLeft.WarmUpSteps).Concat(Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? 0.1 : 0.3)).ToList();
        Assert.Equal(5, Feed(steps).StepsPerSecond!.Value, 6);   // 0.2 s a step on average
    }
}
