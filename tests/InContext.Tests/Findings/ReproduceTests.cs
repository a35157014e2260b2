using InContext.Evaluation;
using InContext.Findings;
using InContext.Reports;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Findings;

/// <summary>The findings' decision rules, their configs, and the reproduce command's bookkeeping.</summary>
public class ReproduceTests
{
    /// <summary>Synthetic metrics: each model's normalised error at every position.</summary>
    static MetricsFile Metrics(int positions, double normaliser, Dictionary<string, Func<int, double>> errors)
    {
        var file = new MetricsFile();
        foreach (var (model, error) in errors)
        {
            var mean = Enumerable.Range(0, positions).Select(k => error(k) * normaliser).ToArray();
            file.Set("standard", model, new PositionStats(mean, new double[positions], mean, mean));
        }
        return file;
    }

    static PlotSettings Settings(string task, int d) => PlotSettings.For(TaskRegistry.CreateDefault(task, d), d, "synthetic");

    [Fact]
    public void Linear_holds_when_the_transformer_tracks_least_squares_and_not_when_it_lags()
    {
        var finding = PaperFindings.Get("linear-functions");
        var close = Metrics(11, 5, new()
        {
            ["transformer"] = k => Math.Max(0, 1 - k / 5.0) + 0.05, ["least_squares"] = k => Math.Max(0, 1 - k / 5.0),
            ["knn_3"] = _ => 0.8, ["averaging"] = _ => 0.9,
        });
        var verdict = finding.Decide(close, Settings("linear_regression", 5));
        Assert.True(verdict.Holds);
        Assert.Equal(5, verdict.Checks.Count);
        Assert.Equal("Transformer within 0.1 of Least Squares after 2 examples", verdict.Checks[0].Description);
        var lagging = Metrics(11, 5, new()
        {
            ["transformer"] = _ => 0.5, ["least_squares"] = k => Math.Max(0, 1 - k / 5.0), ["knn_3"] = _ => 0.8, ["averaging"] = _ => 0.9,
        });
        var failed = finding.Decide(lagging, Settings("linear_regression", 5));
        Assert.False(failed.Holds);
        Assert.Contains(failed.Checks, c => !c.Holds && c.Description.EndsWith("after 5 examples") && c.Value == 0.5);
    }

    [Fact]
    public void The_same_rules_decide_the_other_findings_either_way()
    {
        var lassos = Lasso.PaperAlphas.Select(Lasso.IdOf).ToList();
        Dictionary<string, Func<int, double>> Sparse(double transformer) => new(lassos.ToDictionary(l => l, l => (Func<int, double>)(_ => l == "lasso_0.01" ? 0.2 : 0.6)))
        {
            ["transformer"] = _ => transformer, ["least_squares"] = _ => 0.5, ["knn_3"] = _ => 0.9, ["averaging"] = _ => 0.9,
        };
        var sparse = PaperFindings.Get("sparse-linear-functions");
        Assert.True(sparse.Decide(Metrics(21, 2, Sparse(0.25)), Settings("sparse_linear_regression", 10)).Holds);
        Assert.False(sparse.Decide(Metrics(21, 2, Sparse(0.45)), Settings("sparse_linear_regression", 10)).Holds);   // beats least squares, 0.25 above the best Lasso

        Dictionary<string, Func<int, double>> Trees(double transformer) => new()
        {
            ["transformer"] = _ => transformer, ["tree_depth_4"] = _ => 0.7, ["tree"] = _ => 0.72, ["boosted_trees"] = _ => 0.49,
            ["least_squares"] = _ => 1, ["knn_3"] = _ => 0.66, ["averaging"] = _ => 1,
        };
        var trees = PaperFindings.Get("decision-trees");
        Assert.True(trees.Decide(Metrics(41, 1, Trees(0.3)), Settings("decision_tree", 5)).Holds);
        Assert.False(trees.Decide(Metrics(41, 1, Trees(0.5)), Settings("decision_tree", 5)).Holds);

        Dictionary<string, Func<int, double>> Relu(double transformer) => new()
        {
            ["transformer"] = _ => transformer, ["nn_gd"] = _ => 0.11, ["least_squares"] = _ => 0.7, ["knn_3"] = _ => 0.4, ["averaging"] = _ => 0.9,
        };
        var relu = PaperFindings.Get("relu-networks");
        Assert.True(relu.Decide(Metrics(21, 5, Relu(0.15)), Settings("relu_2nn_regression", 5)).Holds);
        Assert.False(relu.Decide(Metrics(21, 5, Relu(0.3)), Settings("relu_2nn_regression", 5)).Holds);
    }

    [Fact]
    public void Metrics_without_a_model_a_rule_needs_are_refused_by_name()
    {
        var metrics = Metrics(11, 5, new() { ["transformer"] = _ => 0.1 });
        var e = Assert.ThrowsAny<InputException>(() => PaperFindings.Get("linear-functions").Decide(metrics, Settings("linear_regression", 5)));
        Assert.Contains("no error of least_squares after 2 examples", e.Message);
        Assert.Contains("not one of the findings", Assert.Throws<ParameterException>(() => PaperFindings.Get("cubic")).Message);
    }

    [Theory]
    [InlineData("linear-functions", "linear_regression")]
    [InlineData("sparse-linear-functions", "sparse_linear_regression")]
    [InlineData("decision-trees", "decision_tree")]
    [InlineData("relu-networks", "relu_2nn_regression")]
    public void Each_experiments_config_loads_and_trains(string name, string task)
    {
        var config = Experiment.EmbeddedConfig(name, TestPaths.TempDir());
        Assert.Equal(task, config.Training.Task);
        Assert.Equal(config.Training.Task, RunConfig.Load(Path.Combine(TestPaths.RepoRoot, "conf", "reproduce", name + ".yaml")).Training.Task);
        using var trainer = new Trainer(config, run: null);
        var first = trainer.Step().Loss;
        Assert.True(double.IsFinite(first));
        trainer.Step();
        Assert.Equal(2, trainer.NextStep);
    }

    [Fact]
    public void Reproduce_skips_what_is_done_and_writes_the_summary_and_report()
    {
        // A finished linear experiment, made quickly: a checkpoint marked as its last step, evaluated on few prompts.
        var dir = TestPaths.TempDir();
        var e = new Experiment(PaperFindings.Get("linear-functions"), dir);
        var config = e.Config;
        using (var trainer = new Trainer(config, e.Run))
        {
            trainer.Train(totalSteps: 3);
            InContext.Interop.PyTorchCheckpoint.WriteState(e.Run.StatePath, trainer.Model, trainer.Optimizer, config.Training.TrainSteps - 1);
        }
        RunEvaluation.EvaluateRun(e.Run, new EvaluationRequest(Strategies: ["standard"], Settings: new EvaluationSettings(64)));
        Assert.True(e.Trained && e.Evaluated);
        e.AddTime(90, 30);
        var (code, stdout, stderr) = Cli.RunIn(dir, ["reproduce", "--only", "linear-functions", "--out", dir]);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("step 1/", stdout);   // nothing trained again
        var summary = File.ReadAllText(Path.Combine(dir, "summary.md"));
        Assert.Contains("| linear-functions | On linear functions the transformer matches least squares", summary);
        Assert.Contains("does not hold at this scale", summary);   // three steps of training do not learn least squares
        Assert.Contains("| 1.5 min | 0.5 min |", summary);
        Assert.Contains("findings at CPU scale", File.ReadAllText(Path.Combine(dir, "report.html")));
    }
}
