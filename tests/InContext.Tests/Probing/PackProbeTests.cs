using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Storage;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Probing;

/// <summary>Probes and the limitation map of a pack's seeds: their mean, with each seed beside it.</summary>
public class PackProbeTests
{
    static IReadOnlyList<RunFolder> Pack() => Tests.Training.TinyPack.Trained().Select(r => r.Run).ToList();

    [Fact]
    public void A_probe_of_a_pack_is_the_mean_of_probing_each_seed_alone_with_each_seed_beside_it()
    {
        var runs = Pack();
        var shift = new ProbeOptions(Noise: 0.5);
        var settings = new EvaluationSettings(32, 16);
        var together = Probe.Run(runs, shift, settings, withZero: true);
        var alone = runs.Select(r => Probe.Run(r, shift, settings, withZero: true)).ToList();
        var mean = together.Errors["transformer"].Mean;
        for (var k = 0; k < mean.Length; k++)
            Assert.Equal(alone.Average(a => a.Errors["transformer"].Mean[k]), mean[k], 12);
        for (var i = 0; i < runs.Count; i++)
            Assert.Equal(alone[i].Errors["transformer"].Mean, together.Errors[$"transformer@seed {i}"].Mean);
        Assert.Equal(alone[0].Errors["least_squares"].Mean, together.Errors["least_squares"].Mean);   // the classical learners once, on the same prompts
        Assert.Equal(alone.Min(a => a.Errors["transformer"].Mean[3]), together.Errors["transformer"].BootstrapLow[3]);   // the band spans the seeds
        var errors = ShiftErrors.At(together, 3);
        Assert.Equal(3, errors.Seeds!.Count);
        Assert.True(errors.TransformerSd > 0);
        Assert.Matches(@"^\d\.\d{3} ± \d\.\d{3}$", errors.TransformerText);
    }

    [Fact]
    public void The_limits_of_a_pack_read_where_it_breaks_on_the_mean_and_write_the_seeds_spread()
    {
        var runs = Pack();
        var map = LimitationMap.Run(runs, new EvaluationSettings(16, 16));
        var unshifted = map.Select(m => m.Unshifted).First(p => p is not null)!;
        Assert.Equal(3, unshifted.SeedsAt2D!.Count);
        Assert.Equal(unshifted.SeedsAt2D.Average(), unshifted.TransformerAt2D, 12);
        var dir = TestPaths.TempDir();
        LimitationMap.Write(map, 3, "pack", dir);
        var csv = File.ReadAllLines(Path.Combine(dir, "limits.csv"));
        Assert.EndsWith(",transformer_at_d_sd,transformer_at_2d_sd", csv[0]);
        Assert.Matches(@",\d+(\.\d+)?(E-\d+)?,\d+(\.\d+)?(E-\d+)?$", csv[1]);
        Assert.Contains("(the mean ± sd of 3 seeds; where it breaks is read on the mean)", File.ReadAllText(Path.Combine(dir, "limits.txt")));
    }
}
