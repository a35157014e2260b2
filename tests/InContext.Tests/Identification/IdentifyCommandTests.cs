using InContext.Tests.Probing;
using Xunit;

namespace InContext.Tests.Identification;

/// <summary>identify and probe-layers end to end on a small trained run, and what they refuse.</summary>
public class IdentifyCommandTests
{
    [Fact]
    public void Identify_prints_the_table_and_writes_the_figures()
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "identify");
        var (code, stdout, stderr) = Cli.Run("identify", ProbingRun.Dir, "--examples", "64", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("closest (SPD)", stdout);
        Assert.Contains("R² of linear fit", stdout);
        foreach (var file in new[] { "spd.png", "ilwd.png", "r2.png", "identify.csv", "identify.md" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        var csv = File.ReadAllLines(Path.Combine(outDir, "identify.csv"));
        Assert.Equal("k,learner,family,spd,error,ilwd,model_error,r_squared", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("3,least_squares,", StringComparison.Ordinal));
    }

    [Fact]
    public void A_swept_shift_gives_R2_against_its_strength()
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "identify");
        var (code, stdout, stderr) = Cli.Run("identify", ProbingRun.Dir, "--examples", "32", "--scale-x", "0.5:2:3", "--k", "2,4", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("R² @4", stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "r2_scale_x.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "scale-x=2", "spd.png")));
    }

    [Fact]
    public void A_task_without_linear_structure_gets_SPD_and_one_line_for_ILWD()
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "identify");
        var (code, stdout, stderr) = Cli.Run("identify", ProbingRun.Dir, "--examples", "32", "--task", "quadratic_regression", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("ILWD and R² not measured: quadratic_regression", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(outDir, "spd.png")));
        Assert.False(File.Exists(Path.Combine(outDir, "r2.png")));
    }

    [Theory]
    [InlineData("--queries 5: at least 2 × the 4 active dims = 8", "--queries", "5")]
    [InlineData("--scale-x 0:2:3: a range of scales runs between positive numbers", "--scale-x", "0:2:3")]
    [InlineData("--noise is a range too; identify sweeps one shift at a time", "--scale-x", "0.5:2:3", "--noise", "0:1:3")]
    [InlineData("--k 9: expected 0 to 6 in-context examples (the prompts have 7 points)", "--k", "9")]
    [InlineData("--points 12: the model reads prompts of 1 to n_positions = 9 points", "--points", "8:12:2")]
    public void Bad_input_is_refused_in_one_line_before_any_work(string says, params string[] options)
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "identify");
        var (code, stdout, stderr) = Cli.Run(["identify", ProbingRun.Dir, "--out", outDir, .. options]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {says}", stderr.Trim().Split('\n').Single()[..$"error: {says}".Length]);
        Assert.DoesNotContain("evaluating", stdout);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Probe_layers_prints_R2_by_layer_and_writes_its_figure()
    {
        var outDir = Path.Combine(TestPaths.TempDir(), "probes");
        var (code, stdout, stderr) = Cli.Run("probe-layers", ProbingRun.Dir, "--train-prompts", "200", "--test-prompts", "50", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("least-squares w", stdout);
        Assert.Contains("block 2", stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "probe_layers.png")));
        Assert.Equal(3 * 3 + 1, File.ReadAllLines(Path.Combine(outDir, "probe_layers.csv")).Length);   // 3 layers × 3 targets
        var (bad, _, badErr) = Cli.Run("probe-layers", ProbingRun.Dir, "--k", "9");
        Assert.Equal(2, bad);
        Assert.StartsWith("error: --k 9: the model reads 1 to n_positions − 1 = 8 examples", badErr.Trim());
    }

    [Fact]
    public void Eval_refuses_dMMSE_for_a_run_without_a_task_pool()
    {
        var (code, _, stderr) = Cli.Run("eval", ProbingRun.Copy(), "--models", "dmmse");
        Assert.Equal(2, code);
        Assert.Equal("error: --models 'dmmse': the posterior mean over a run's task pool: needs a run trained with num_tasks on a linear task", stderr.Trim());
    }
}
