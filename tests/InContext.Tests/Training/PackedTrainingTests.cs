using InContext.Config;
using InContext.Training;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace InContext.Tests.Training;

/// <summary>Seeds trained as one pack are the runs those seeds give alone.</summary>
public class PackedTrainingTests(ITestOutputHelper output)
{
    /// <summary>The quickstart's shape, small: a curriculum that grows, so the pack follows it too.</summary>
    static RunConfig Config(int seed) => RunConfig.Parse($$"""
        model: {family: gpt2, n_dims: 5, n_positions: 11, n_embd: 32, n_layer: 2, n_head: 2}
        training:
          task: linear_regression
          batch_size: 16
          learning_rate: 0.001
          train_steps: 50
          seed: {{seed}}
          curriculum:
            dims: {start: 3, end: 5, inc: 1, interval: 20}
            points: {start: 7, end: 11, inc: 2, interval: 20}
        out_dir: runs
        """);

    /// <summary>
    /// Every weight, less the attention's key biases (the middle third of each <c>c_attn.bias</c>):
    /// softmax is unchanged by adding the same number to every score, so those biases change
    /// nothing the model computes and their gradient is 0 in exact arithmetic. What a run computes
    /// for it is rounding noise, which Adam's normalised step turns into updates of about
    /// lr · |g| / (|g| + eps): two computations of the same run, summed in different orders, part
    /// there first, and nothing else follows them.
    /// </summary>
    static Dictionary<string, Tensor> Weights(InContext.Models.InContextTransformer model) =>
        model.named_parameters().ToDictionary(p => p.name, p =>
        {
            var w = p.parameter.detach().clone();
            if (!p.name.EndsWith("attn.c_attn.bias")) return w;
            var e = w.shape[0] / 3;
            return cat([w.narrow(0, 0, e), w.narrow(0, 2 * e, e)]);
        });

    [Fact]
    public void Each_member_of_a_pack_is_the_run_its_seed_gives_alone()
    {
        int[] seeds = [0, 1, 2];
        var alone = seeds.Select(s =>
        {
            using var t = new Trainer(Config(s), run: null);
            t.Train(50);
            return Weights(t.Model);
        }).ToList();
        using var pack = new Trainer(seeds.Select(s => (Config(s), (InContext.Storage.RunFolder?)null)).ToList());
        Assert.True(pack.Packed);
        pack.Train(50);
        double worst = 0;
        for (var i = 0; i < seeds.Length; i++)
            foreach (var (name, value) in Weights(pack.Members[i].Model))
            {
                var reference = alone[i][name];
                var relative = ((value - reference).norm() / reference.norm().clamp_min(1e-30)).ToDouble();
                worst = Math.Max(worst, relative);
            }
        output.WriteLine($"largest relative difference over every weight tensor: {worst:E2}");
        Assert.True(worst <= 1e-5, $"largest relative difference {worst:E2}");
    }

    /// <summary>
    /// A kill between two runs' saves leaves a pack's runs at different steps. Resumed, the runs
    /// ahead ride along in the pack until the one behind reaches them: every run ends bit for bit
    /// where the uninterrupted pack ends, the runs ahead without a step trained twice.
    /// </summary>
    [Fact]
    public void A_pack_whose_runs_stand_at_different_steps_ends_where_an_uninterrupted_pack_ends()
    {
        var (straight, behind) = (TestPaths.TempDir(), TestPaths.TempDir());
        List<(RunConfig, InContext.Storage.RunFolder)> Runs(string dir) =>
            [.. new[] { 0, 1, 2 }.Select(s => (Config(s) with { Training = Config(s).Training with { SaveEverySteps = 1 } }, new InContext.Storage.RunFolder(Path.Combine(dir, $"seed={s}"))))];
        bool Train(string dir, int steps) => SeedPacks.Train(Runs(dir), steps, t => t.Train(steps));
        Assert.True(Train(straight, 14));
        Assert.True(Train(behind, 6));
        var early = Path.Combine(TestPaths.TempDir(), "seed=1");
        CopyFolder(Path.Combine(behind, "seed=1"), early);
        Assert.True(Train(behind, 10));
        Directory.Delete(Path.Combine(behind, "seed=1"), recursive: true);
        CopyFolder(early, Path.Combine(behind, "seed=1"));   // seed 1 at step 6, the others at 10
        Assert.True(Train(behind, 14));
        foreach (var s in new[] { 0, 1, 2 })
        {
            using var a = InContext.Interop.PyTorchCheckpoint.Read(Path.Combine(straight, $"seed={s}", "state.pt"));
            using var b = InContext.Interop.PyTorchCheckpoint.Read(Path.Combine(behind, $"seed={s}", "state.pt"));
            Assert.Equal(a.TrainStep, b.TrainStep);
            foreach (var (name, value) in a.Model) Assert.True(value.equal(b.Model[name]).all().item<bool>(), $"seed {s}: {name} differs");
        }
        // the runs that rode along logged no step twice
        var steps = InContext.Training.TrainingLog.Read(Path.Combine(behind, "seed=0", "train_log.csv")).Select(r => r.Step).ToList();
        Assert.Equal(steps.Distinct().Order(), steps);
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    /// <summary>
    /// One seed of a pack whose Adam state goes non-finite (made so by hand, as an overflow would)
    /// stops alone: its folder keeps its last good checkpoint and says why in error.txt, the other
    /// seeds train to the end, and training ends in the one exception that names the seed.
    /// </summary>
    [Fact]
    public void A_seed_that_diverges_stops_alone_and_the_others_train_on()
    {
        var dir = TestPaths.TempDir();
        var runs = SeedPacks.Members(Config(0) with { Training = Config(0).Training with { SaveEverySteps = 2 } }, [0, 1, 2])
            .Select(c => (c, (InContext.Storage.RunFolder?)new InContext.Storage.RunFolder(Path.Combine(dir, $"seed={c.Training.Seed}")))).ToList();
        using (var first = new Trainer(runs)) first.Train(4);
        using var pack = new Trainer(runs);
        using (no_grad()) ((TorchSharp.Modules.Adam.State)pack.Members[1].Optimizer.state_dict().State[3]).exp_avg_sq.fill_(float.PositiveInfinity);
        var e = Assert.Throws<TrainingDivergedException>(() => pack.Train(10));
        Assert.Matches(@"^training diverged at step 4 \(seed 1; the pack's other runs trained on\): Adam's second moment \(exp_avg_sq\) not finite after the update .*seed=1/state\.pt still holds step 3, the last good checkpoint", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        int Saved(int seed) => InContext.Interop.CheckpointStep.Read(Path.Combine(dir, $"seed={seed}", "state.pt"))!.Value;
        Assert.Equal([9, 3, 9], new[] { Saved(0), Saved(1), Saved(2) });
        Assert.StartsWith("error: training diverged at step 4 (seed 1", File.ReadAllText(Path.Combine(dir, "seed=1", "error.txt")));
        Assert.False(File.Exists(Path.Combine(dir, "seed=0", "error.txt")));
    }
}
