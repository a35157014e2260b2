using InContext.Config;
using InContext.Evaluation;
using InContext.Storage;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Evaluation;

/// <summary>A pack's runs evaluated in one pass: each file as if the run were evaluated alone.</summary>
public class PackEvaluationTests
{
    static RunConfig Config => Tests.Training.TinyPack.Config;

    [Fact]
    public void Evaluated_in_one_pass_each_run_gets_the_file_it_gets_alone()
    {
        var runs = Tests.Training.TinyPack.Trained();
        var request = new EvaluationRequest(Strategies: ["standard", "noisyLR"], Settings: new EvaluationSettings(32, 16));
        var together = RunEvaluation.EvaluateRuns(runs.Select(r => r.Item2).ToList(), request);
        var files = runs.Select(r => File.ReadAllText(r.Item2.MetricsPath)).ToList();
        for (var i = 0; i < runs.Count; i++)
        {
            var alone = RunEvaluation.EvaluateRun(runs[i].Item2, request with { Recompute = true });
            Assert.Equal(files[i], File.ReadAllText(runs[i].Item2.MetricsPath));
            Assert.Equal(alone.Evaluations["standard"].Keys, together[i].Evaluations["standard"].Keys);
        }
        // each run's own transformer, and the classical learners the same in every run
        var transformers = together.Select(f => f.Evaluations["standard"]["transformer"].Mean).ToList();
        Assert.NotEqual(transformers[0], transformers[1]);
        Assert.Equal(together[0].Evaluations["standard"]["least_squares"].Mean, together[2].Evaluations["standard"]["least_squares"].Mean);
        Assert.Contains("ridge_1", together[1].Evaluations["noisyLR"].Keys);
    }

    [Fact]
    public void Runs_of_different_problems_are_refused_in_one_line()
    {
        var dir = TestPaths.TempDir();
        var a = new RunFolder(Path.Combine(dir, "a"));
        var b = new RunFolder(Path.Combine(dir, "b"));
        using (var t = new Trainer(Config, a)) t.Train(2);
        var other = Config with { Training = Config.Training with { Task = "sparse_linear_regression" } };
        using (var t = new Trainer(other, b)) t.Train(2);
        var e = Assert.Throws<InputException>(() => RunEvaluation.EvaluateRuns([a, b], new EvaluationRequest(Strategies: ["standard"])));
        Assert.Contains("another problem", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(a.MetricsPath));
    }
}
