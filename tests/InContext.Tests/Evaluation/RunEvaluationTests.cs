using InContext.Config;
using InContext.Evaluation;
using InContext.Training;
using Xunit;

namespace InContext.Tests.Evaluation;

public class RunEvaluationTests
{
    static readonly RunEvaluation.Problem Linear = new("linear_regression", new(), 4, 9);
    static readonly EvaluationSettings Few = new(NumExamples: 96, BatchSize: 32);

    /// <summary>An untrained tiny run: enough for the evaluator's bookkeeping.</summary>
    static RunFolder TinyRun()
    {
        var config = TrainingBenchmark.SizedConfig(nEmbd: 16, nLayer: 1, nHead: 2, nDims: 4, nPoints: 9, batchSize: 8);
        var run = new RunFolder(Path.Combine(TestPaths.TempDir(), "run"));
        using var trainer = new Trainer(config, run);
        trainer.Train(totalSteps: 1);
        return run;
    }

    [Fact]
    public void Least_squares_is_exact_from_d_examples_and_every_baseline_predicts_zero_first()
    {
        var path = Path.Combine(TestPaths.TempDir(), "metrics.json");
        var metrics = RunEvaluation.EvaluateBaselines(Linear, new EvaluationRequest(Strategies: ["standard"], Settings: Few), path);
        var standard = metrics.Evaluations["standard"];
        Assert.Equal(new[] { "least_squares", "knn_3", "averaging" }, standard.Keys);
        Assert.All(standard[ModelNames.LeastSquares].Mean.Skip(4), e => Assert.True(e < 1e-6));
        // position 0: every learner predicts 0, so the error is E[y²] = d, the same for all
        Assert.All(standard.Values, s => Assert.Equal(standard[ModelNames.LeastSquares].Mean[0], s.Mean[0], 6));
        Assert.InRange(standard[ModelNames.LeastSquares].Mean[0], 4 * 0.5, 4 * 1.5); // E[y²] = d, over only 96 heavy-tailed prompts
        Assert.True(File.Exists(path) && !File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Shifts_move_the_error_in_the_expected_direction()
    {
        var path = Path.Combine(TestPaths.TempDir(), "metrics.json");
        var settings = new EvaluationSettings(NumExamples: 128, BatchSize: 64);
        var m = RunEvaluation.EvaluateBaselines(Linear, new EvaluationRequest(Strategies: ["standard", "scale-y=3", "scale-x=2"], Models: ["least_squares"], Settings: settings), path);
        // Every evaluation draws the same prompts, so the shifts compare exactly: least squares'
        // error below d examples scales with y², whether y grows through the task or through x.
        double Below(string e) => m.Evaluations[e][ModelNames.LeastSquares].Mean.Skip(1).Take(3).Sum();
        Assert.Equal(9.0, Below("scale-y=3") / Below("standard"), 3); // y scaled by 3: squared error by 9
        Assert.Equal(4.0, Below("scale-x=2") / Below("standard"), 3); // x scaled by 2 (a rotation): y, hence error, by 2²
    }

    [Fact]
    public void A_run_is_evaluated_with_its_transformer_and_the_file_is_reused()
    {
        var run = TinyRun();
        var request = new EvaluationRequest(Strategies: ["standard", "orthogonal_train_test"], Settings: Few);
        var first = RunEvaluation.EvaluateRun(run, request);
        Assert.Equal(new[] { "transformer", "least_squares", "knn_3", "averaging" }, first.Evaluations["standard"].Keys);
        var written = File.GetLastWriteTimeUtc(run.MetricsPath);
        // a second call finds everything in the file and computes nothing new
        var again = RunEvaluation.EvaluateRun(run, request with { Strategies = ["standard"] });
        Assert.Equal(first.Evaluations["standard"]["transformer"].Mean, again.Evaluations["standard"]["transformer"].Mean);
        Assert.True(again.Evaluations.ContainsKey("orthogonal_train_test")); // kept, not dropped
    }

    [Theory]
    [InlineData("cubic", null, "unknown evaluation 'cubic'")]
    [InlineData(null, "ridge", "unknown model 'ridge'")]
    public void Unknown_names_are_refused_with_the_valid_choices(string? strategy, string? model, string message)
    {
        var request = new EvaluationRequest(Strategies: strategy is null ? null : [strategy], Models: model is null ? null : [model], Settings: Few);
        var e = Assert.Throws<InputException>(() => RunEvaluation.EvaluateBaselines(Linear, request, Path.Combine(TestPaths.TempDir(), "m.json")));
        Assert.Contains(message, e.Message);
        Assert.Contains("valid", e.Message);
    }

    [Fact]
    public void A_strategy_that_does_not_apply_to_the_task_is_refused()
    {
        var trees = new RunEvaluation.Problem("decision_tree", new(), 4, 9);
        var e = Assert.Throws<InputException>(() => RunEvaluation.EvaluateBaselines(trees, new EvaluationRequest(Strategies: ["skewed"]), Path.Combine(TestPaths.TempDir(), "m.json")));
        Assert.Contains("does not apply to decision_tree", e.Message);
    }

    [Fact]
    public void A_run_without_checkpoint_and_an_unreadable_metrics_file_are_refused_and_nothing_is_overwritten()
    {
        var empty = new RunFolder(TestPaths.TempDir());
        Assert.Throws<InputException>(() => RunEvaluation.EvaluateRun(empty, new EvaluationRequest()));
        var run = TinyRun();
        File.WriteAllText(run.MetricsPath, "{ not json");
        var e = Assert.Throws<InputException>(() => RunEvaluation.EvaluateRun(run, new EvaluationRequest(Settings: Few)));
        Assert.StartsWith(run.MetricsPath, e.Message);
        Assert.Equal("{ not json", File.ReadAllText(run.MetricsPath));
        var recomputed = RunEvaluation.EvaluateRun(run, new EvaluationRequest(Strategies: ["standard"], Recompute: true, Settings: Few));
        Assert.True(recomputed.Evaluations.ContainsKey("standard"));
    }
}
