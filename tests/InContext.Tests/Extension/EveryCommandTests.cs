using Xunit;

namespace InContext.Tests.Extension;

/// <summary>
/// A function class and a learner added as one file and one registry line each reach every
/// command: configs, train (with its closing evaluation), eval, plot, report, probe, predict.
/// Nothing outside their files names them; what each command shows comes from the facts they state.
/// </summary>
public class EveryCommandTests
{
    const string Config = """
        model: {family: gpt2, n_dims: 3, n_positions: 9, n_embd: 16, n_layer: 1, n_head: 2}
        training:
          task: logistic_regression
          task_kwargs: {scale: 2.0}
          batch_size: 16
          learning_rate: 0.001
          train_steps: 10
          save_every_steps: 5
          curriculum:
            dims: {start: 3, end: 3, inc: 1, interval: 100}
            points: {start: 9, end: 9, inc: 1, interval: 100}
        out_dir: runs
        """;

    [Fact]
    public void Logistic_regression_and_its_learner_in_every_command()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "logistic.yaml"), Config);
        var (code, stdout, stderr) = Cli.RunIn(dir, ["train", "logistic.yaml", "--run-id", "r"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("standard: accuracy by number of in-context examples", stdout);   // not "squared error / 3"
        Assert.Contains("Logistic Regression (L2, C=1)", stdout);
        var run = Path.Combine(dir, "runs", "r");
        Assert.True(File.Exists(Path.Combine(run, "plots", "standard.png")));

        (code, stdout, stderr) = Cli.RunIn(dir, ["eval", run, "--examples", "32"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("accuracy", stdout);

        (code, _, stderr) = Cli.RunIn(dir, ["report", run, "--out", "report.html"]);
        Assert.True(code == 0, stderr);
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("logistic_regression(scale=2)", html);
        Assert.Contains("accuracy after k in-context examples; highest in bold", html);

        (code, stdout, stderr) = Cli.RunIn(dir, ["probe", run, "--scale-y", "8", "--examples", "32", "--plot", "probe.svg"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("scale-y=8: accuracy", stdout);
        Assert.True(File.Exists(Path.Combine(dir, "probe.svg")));

        File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,x2,x3,y\n1,0,0,1\n-1,0,0,-1\n0.5,1,0,1\n");
        File.WriteAllText(Path.Combine(dir, "q.csv"), "x1,x2,x3\n2,0,0\n");
        (code, stdout, stderr) = Cli.RunIn(dir, ["predict", run, "--context", "c.csv", "--query", "q.csv", "--format", "csv"]);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("transformer,logistic,knn_3,averaging\n", stdout);
        Assert.True(double.Parse(stdout.Split('\n')[1].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture) > 0, "logistic regression puts x1 = 2 on the positive side");

        (code, stdout, stderr) = Cli.RunIn(dir, ["eval", "--task", "logistic_regression", "--n-dims", "3", "--points", "9", "--examples", "32"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Logistic Regression (L2, C=1)", stdout);
    }

    [Fact]
    public void Ridge_in_eval_and_predict()
    {
        var dir = TestPaths.TempDir();
        var (code, stdout, stderr) = Cli.RunIn(dir, ["eval", "--task", "noisy_linear_regression", "--n-dims", "3", "--points", "7", "--examples", "32",
            "--models", "least_squares,ridge_0.25"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Ridge (alpha=0.25)", stdout);
        File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,y\n1,2\n2,4.1\n");
        File.WriteAllText(Path.Combine(dir, "q.csv"), "x1\n3\n");
        (code, stdout, stderr) = Cli.RunIn(dir, ["predict", "--context", "c.csv", "--query", "q.csv", "--models", "ridge_0.1", "--format", "csv"]);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("ridge_0.1\n", stdout);
        // (XᵀX + 0.1)⁻¹ Xᵀy · 3 = 3 · 10.2 / 5.1
        Assert.Equal(3 * 10.2 / 5.1, double.Parse(stdout.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture), 4);
    }
}
