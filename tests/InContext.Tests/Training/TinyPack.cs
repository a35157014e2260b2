using InContext.Config;
using InContext.Storage;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Training;

/// <summary>A pack of tiny linear-regression runs trained in a test's own folder, for the tests of what reads packs.</summary>
static class TinyPack
{
    /// <summary>The config: 3 dims, 7 points, a 16-wide one-layer model, no curriculum.</summary>
    public static RunConfig Config => RunConfig.Parse("""
        model: {family: gpt2, n_dims: 3, n_positions: 7, n_embd: 16, n_layer: 1, n_head: 2}
        training:
          task: linear_regression
          batch_size: 8
          learning_rate: 0.001
          train_steps: 10
          curriculum:
            dims: {start: 3, end: 3, inc: 1, interval: 10}
            points: {start: 7, end: 7, inc: 1, interval: 10}
        out_dir: runs
        """);

    /// <summary>Seeds 0, 1 and 2 of <see cref="Config"/>, trained 10 steps as one pack into <c>seed=S/</c> folders of a fresh temp folder.</summary>
    public static IReadOnlyList<(RunConfig Config, RunFolder Run)> Trained()
    {
        var dir = TestPaths.TempDir();
        var runs = SeedPacks.Members(Config, [0, 1, 2]).Select(c => (c, new RunFolder(Path.Combine(dir, SeedPacks.MemberFolderName(c.Training.Seed))))).ToList();
        Assert.True(SeedPacks.Train(runs, 10, t => t.Train(10)));
        return runs;
    }
}
