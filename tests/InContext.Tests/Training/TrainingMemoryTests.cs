using InContext.Tests.Reliability;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Training;

public class TrainingMemoryTests
{
    [Fact]
    public void The_position_embeddings_of_a_huge_n_positions_count_in_full()
    {
        // 2 × n_positions was an int product: at 2^30 it wrapped to -2^31, the estimate went
        // negative, the memory check passed and libtorch was asked for a tensor of negative size.
        var tiny = RunConfig.Parse(TrainingConfigs.Tiny(steps: 1, saveEvery: 1));
        var huge = tiny with { Model = tiny.Model with { NPositions = 1 << 30 } };
        var embeddings = 2.0 * (1 << 30) * tiny.Model.NEmbd;
        var estimate = TrainingMemory.Estimate(huge);
        Assert.True(estimate.Parameters > embeddings, $"{estimate.Parameters:G3} parameters");
        var e = Assert.Throws<InputException>(() => estimate.EnsureFits("run.yaml", availableBytes: 64L << 30));
        Assert.StartsWith("run.yaml: training this config needs about ", e.Message);
    }

    [Fact]
    public void A_pack_of_seeds_needs_that_many_times_one_runs_memory_and_is_refused_saying_so()
    {
        var config = RunConfig.Parse(TrainingConfigs.Tiny(steps: 1, saveEvery: 1));
        var one = TrainingMemory.Estimate(config);
        var three = TrainingMemory.Estimate(config, 3);
        Assert.Equal(3 * one.TotalBytes, three.TotalBytes, 6);
        var room = (long)(2 * one.TotalBytes);
        one.EnsureFits("run.yaml", availableBytes: room);
        var e = Assert.Throws<InputException>(() => three.EnsureFits("run.yaml", availableBytes: room));
        Assert.StartsWith("run.yaml: training this config as a pack of 3 seeds needs about ", e.Message);
        Assert.EndsWith(", or train fewer seeds at once", e.Message);
    }
}
