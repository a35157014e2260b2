using InContext.Config;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Training;

public class CurriculumTests
{
    [Fact]
    public void Values_grow_every_interval_and_stop_at_end()
    {
        var c = new Curriculum(new CurriculumConfig(new Schedule(5, 20, 1, 2000), new Schedule(11, 41, 2, 2000)));
        Assert.Equal((11, 5), (c.NPoints(0), c.NDims(0)));
        Assert.Equal((11, 5), (c.NPoints(1999), c.NDims(1999)));
        Assert.Equal((13, 6), (c.NPoints(2000), c.NDims(2000)));
        Assert.Equal((41, 20), (c.NPoints(30000), c.NDims(30000)));
        Assert.Equal((41, 20), (c.NPoints(500000), c.NDims(500000)));
        Assert.Equal((39, 19), (c.NPoints(28000), c.NDims(28000)));
    }

    [Fact]
    public void Matches_the_papers_step_by_step_update()
    {
        // curriculum.py: var += inc whenever step_count % interval == 0, then min(var, end)
        var s = new Schedule(3, 10, 3, 7);
        var value = s.Start;
        for (var step = 0; step < 100; step++)
        {
            Assert.Equal(value, Curriculum.ValueAt(s, step));
            if ((step + 1) % s.Interval == 0) value += s.Inc;
            value = Math.Min(value, s.End);
        }
    }

    [Fact]
    public void Baseline_loss_is_the_zero_knowledge_error()
    {
        Assert.Equal((5 + 4 + 3 + 2 + 1) / 11.0, Curriculum.BaselineLoss(11, 5), 12);
        Assert.Equal(20.0 * 21 / 2 / 41, Curriculum.BaselineLoss(41, 20), 12);
    }
}
