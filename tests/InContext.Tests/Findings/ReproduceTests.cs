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

    public static TheoryData<string, string, string> Experiments()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var scale in Scale.All)
            foreach (var (name, task) in new[] { ("linear-functions", "linear_regression"), ("sparse-linear-functions", "sparse_linear_regression"), ("decision-trees", "decision_tree"), ("relu-networks", "relu_2nn_regression") })
                data.Add(scale.Name, name, task);
        return data;
    }

    [Theory]
    [MemberData(nameof(Experiments))]
    public void Each_experiments_config_loads_and_trains(string scale, string name, string task)
    {
        var config = Scale.Get(scale).Config(name, TestPaths.TempDir());
        Assert.Equal(task, config.Training.Task);
        Assert.Empty(config.DifferencesFrom(RunConfig.Load(Path.Combine(TestPaths.RepoRoot, "conf", "reproduce", scale, name + ".yaml")), "out_dir"));
        using var trainer = new Trainer(config, run: null);
        var first = trainer.Step().Loss;
        Assert.True(double.IsFinite(first));
        trainer.Step();
        Assert.Equal(2, trainer.NextStep);
    }

    [Theory]
    [InlineData("linear-functions", "linear_regression")]
    [InlineData("sparse-linear-functions", "sparse_linear_regression")]
    [InlineData("decision-trees", "decision_tree")]
    [InlineData("relu-networks", "relu_2nn_regression")]
    public void The_paper_scale_is_the_papers_own_config(string name, string paperFile)
    {
        var paper = RunConfig.Load(Path.Combine(TestPaths.RepoRoot, "conf", paperFile + ".yaml"));
        Assert.Empty(Scale.Paper.Config(name, TestPaths.TempDir()).DifferencesFrom(paper, "out_dir"));
    }

    static Verdict Verdict(bool holds) => new([new Check("Transformer below Least Squares after 5 examples", holds ? 0.1 : 0.9, 0.5, "least_squares", holds)]);

    [Fact]
    public void Over_seeds_a_finding_holds_when_every_seed_holds_is_mixed_when_some_do_and_does_not_hold_when_none_does()
    {
        var all = new SeedVerdict([0, 1, 2], [Verdict(true), Verdict(true), Verdict(true)]);
        Assert.Equal(Outcome.Holds, all.Outcome);
        Assert.Equal("holds (3 of 3 seeds)", all.Describe());
        var some = new SeedVerdict([0, 1, 2], [Verdict(true), Verdict(false), Verdict(true)]);
        Assert.Equal(Outcome.Mixed, some.Outcome);
        Assert.Equal("mixed (2 of 3 seeds)", some.Describe());
        var none = new SeedVerdict([0, 1, 2], [Verdict(false), Verdict(false), Verdict(false)]);
        Assert.Equal(Outcome.DoesNotHold, none.Outcome);
        Assert.Equal("does not hold (0 of 3 seeds)", none.Describe());
        Assert.Equal("holds for its one seed (one seed decides nothing: --seeds 0,1,2)", new SeedVerdict([4], [Verdict(true)]).Describe());
        Assert.Equal("does not hold for its one seed (one seed decides nothing: --seeds 0,1,2)", new SeedVerdict([4], [Verdict(false)]).Describe());
    }

    /// <summary>A finished linear experiment of two seeds, made quickly: checkpoints marked as their last step, evaluated on few prompts.</summary>
    static Experiment Finished(string dir, IReadOnlyList<long> seeds)
    {
        var e = new Experiment(PaperFindings.Get("linear-functions"), dir, Scale.Cpu, seeds);
        foreach (var (config, run) in e.Runs)
        {
            using (var trainer = new Trainer(config, run))
            {
                trainer.Train(totalSteps: 3);
                InContext.Interop.PyTorchCheckpoint.WriteState(run.StatePath, trainer.Model, trainer.Optimizer, config.Training.TrainSteps - 1);
            }
            RunEvaluation.EvaluateRun(run, new EvaluationRequest(Strategies: ["standard"], Settings: new EvaluationSettings(64)));
        }
        return e;
    }

    [Fact]
    public void Reproduce_skips_what_is_done_and_writes_the_summary_and_report_over_the_seeds()
    {
        var dir = TestPaths.TempDir();
        var e = Finished(dir, [0, 1]);
        Assert.True(e.Trained && e.Evaluated);
        e.AddTime(90, 30);
        var (code, stdout, stderr) = Cli.RunIn(dir, ["reproduce", "--only", "linear-functions", "--out", dir, "--seeds", "0,1"]);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("step 1/", stdout);   // nothing trained again
        var summary = File.ReadAllText(Path.Combine(dir, "summary.md"));
        Assert.Contains("findings at cpu scale", summary);
        Assert.Contains("| finding | condition | seed 0 | seed 1 | mean ± sd | holds for | verdict | training | evaluation |", summary);
        Assert.Contains("| linear-functions | Transformer within 0.1 of Least Squares after 2 examples | ", summary);
        Assert.Matches(@"\| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] vs 0\.\d{3}: (yes|no) \|", summary);   // each seed's number, its interval, the other's
        Assert.Contains("does not hold (0 of 2 seeds)", summary);   // three steps of training do not learn least squares
        Assert.Contains("| 1.5 min | 0.5 min |", summary);
        Assert.True(File.Exists(Path.Combine(e.MeanFolder, "metrics.json")));
        Assert.True(File.Exists(Path.Combine(e.MeanFolder, "plots", "standard.png")));
        Assert.Contains("findings at cpu scale, over 2 seeds", File.ReadAllText(Path.Combine(dir, "report.html")));
    }

    [Fact]
    public void A_folder_of_another_scale_is_refused_before_any_work()
    {
        var dir = TestPaths.TempDir();
        Finished(dir, [0]);
        var (code, stdout, stderr) = Cli.RunIn(dir, ["reproduce", "--only", "linear-functions", "--out", dir, "--scale", "gpu", "--seeds", "0"]);
        Assert.True(code == 2, $"exit {code}: {stdout} {stderr}");
        Assert.Contains("holds a run of another experiment than linear-functions at scale gpu", stderr);
        Assert.DoesNotContain("step 1/", stdout);
    }
}
