using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Tasks;
using InContext.Training;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Evaluation;

public class RunEvaluationTests
{
    static readonly EvaluationProblem Linear = new(new LinearRegression(4), 9);
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
        Assert.All(standard[LeastSquares.Id].Mean.Skip(4), e => Assert.True(e < 1e-6));
        // position 0: every learner predicts 0, so the error is E[y²] = d, the same for all
        Assert.All(standard.Values, s => Assert.Equal(standard[LeastSquares.Id].Mean[0], s.Mean[0], 6));
        Assert.InRange(standard[LeastSquares.Id].Mean[0], 4 * 0.5, 4 * 1.5); // E[y²] = d, over only 96 heavy-tailed prompts
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
        double Below(string e) => m.Evaluations[e][LeastSquares.Id].Mean.Skip(1).Take(3).Sum();
        Assert.Equal(9.0, Below("scale-y=3") / Below("standard"), 3); // y scaled by 3: squared error by 9
        Assert.Equal(4.0, Below("scale-x=2") / Below("standard"), 3); // x scaled by 2 (a rotation): y, hence error, by 2²
    }

    [Fact]
    public void A_run_is_evaluated_with_its_transformer_and_the_file_is_reused()
    {
        var run = TinyRun();
        var request = new EvaluationRequest(Strategies: ["standard", "orthogonal_train_test"], Settings: Few);
        var batches = 0;
        var first = RunEvaluation.EvaluateRun(run, request, progress: _ => batches++);
        Assert.Equal(new[] { "transformer", "least_squares", "knn_3", "averaging" }, first.Evaluations["standard"].Keys);
        Assert.Equal(2 * Few.Batches, batches);
        // a second call finds everything in the file and computes nothing new: no batch is drawn
        batches = 0;
        var again = RunEvaluation.EvaluateRun(run, request with { Strategies = ["standard"] }, progress: _ => batches++);
        Assert.Equal(0, batches);
        Assert.Equal(first.Evaluations["standard"]["transformer"].Mean, again.Evaluations["standard"]["transformer"].Mean);
        Assert.True(again.Evaluations.ContainsKey("orthogonal_train_test")); // kept, not dropped
        // other prompts (another seed) are another question: the asked evaluation is computed again, the other kept
        var reseeded = RunEvaluation.EvaluateRun(run, request with { Strategies = ["standard"], Settings = Few with { Seed = 1 } }, progress: _ => batches++);
        Assert.Equal(Few.Batches, batches);
        Assert.NotEqual(first.Evaluations["standard"]["least_squares"].Mean, reseeded.Evaluations["standard"]["least_squares"].Mean);
        Assert.Equal(first.Evaluations["orthogonal_train_test"]["knn_3"].Mean, reseeded.Evaluations["orthogonal_train_test"]["knn_3"].Mean);
    }

    [Fact]
    public void A_linear_runs_noisy_evaluation_compares_with_ridge_at_the_noise_and_its_noiseless_ones_do_not()
    {
        // noisyLR (noise std 1, outputs renormalised) was compared with least squares alone, whose
        // spike at k = d makes anything look good; ridge with alpha = 1 is the Bayes-optimal learner there.
        var metrics = RunEvaluation.EvaluateBaselines(Linear, new EvaluationRequest(Strategies: ["standard", "noisyLR"], Settings: Few),
            Path.Combine(TestPaths.TempDir(), "metrics.json"));
        Assert.Equal(["least_squares", "knn_3", "averaging", "ridge_1"], metrics.Evaluations["noisyLR"].Keys);
        Assert.Equal(["least_squares", "knn_3", "averaging"], metrics.Evaluations["standard"].Keys);
        var (ridge, leastSquares) = (metrics.Evaluations["noisyLR"]["ridge_1"].Mean, metrics.Evaluations["noisyLR"][LeastSquares.Id].Mean);
        Assert.True(ridge[4] < leastSquares[4] / 10, $"at k = d ridge {ridge[4]}, least squares {leastSquares[4]}");
        // a model named is asked on every evaluation, as before
        var named = RunEvaluation.EvaluateBaselines(Linear, new EvaluationRequest(Strategies: ["standard", "noisyLR"], Models: ["least_squares"], Settings: Few),
            Path.Combine(TestPaths.TempDir(), "metrics.json"));
        Assert.All(named.Evaluations.Values, models => Assert.Equal(["least_squares"], models.Keys));
    }

    [Fact]
    public void A_run_trained_further_is_evaluated_afresh()
    {
        var run = TinyRun();
        var request = new EvaluationRequest(Strategies: ["standard"], Models: ["transformer"], Settings: Few);
        var before = RunEvaluation.EvaluateRun(run, request).Evaluations["standard"]["transformer"];
        using (var trainer = new Trainer(run.LoadConfig(), run)) trainer.Train(totalSteps: 3);
        var batches = 0;
        var after = RunEvaluation.EvaluateRun(run, request, progress: _ => batches++).Evaluations["standard"]["transformer"];
        Assert.Equal(Few.Batches, batches);
        Assert.NotEqual(before.EvaluatedOn, after.EvaluatedOn);
        Assert.NotEqual(before.Mean, after.Mean);
    }

    [Fact]
    public void Baselines_of_one_problem_are_never_shown_as_another_problems()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "metrics.json");
        RunEvaluation.EvaluateBaselines(Linear, new EvaluationRequest(Strategies: ["standard"], Models: ["least_squares"], Settings: Few), path);
        var written = File.ReadAllText(path);
        var sparse = new EvaluationProblem(new SparseLinearRegression(4), 9);
        var e = Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateBaselines(sparse, new EvaluationRequest(Models: ["lasso_0.1"], Settings: Few), path));
        Assert.Contains("holds metrics of another problem (linear_regression(scale=1), d=4, 9 points", e.Message);
        Assert.Equal(written, File.ReadAllText(path));
        var longer = new EvaluationProblem(new LinearRegression(4), 12);
        Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateBaselines(longer, new EvaluationRequest(Models: ["least_squares"], Settings: Few), path));
        // the default folders of two problems differ
        Assert.NotEqual(RunEvaluation.DefaultBaselinesFolder(Linear), RunEvaluation.DefaultBaselinesFolder(sparse));
        Assert.NotEqual(RunEvaluation.DefaultBaselinesFolder(Linear), RunEvaluation.DefaultBaselinesFolder(longer));
        // asked to recompute, the file is replaced by the new problem's
        var replaced = RunEvaluation.EvaluateBaselines(sparse, new EvaluationRequest(Strategies: ["standard"], Models: ["lasso_0.1"], Recompute: true, Settings: Few), path);
        Assert.Equal(new[] { "lasso_0.1" }, replaced.Evaluations["standard"].Keys);
    }

    [Theory]
    [InlineData("cubic", null, "'cubic': unknown evaluation")]
    [InlineData(null, "cubic_spline", "'cubic_spline': unknown model")]
    public void Unknown_names_are_refused_with_the_valid_choices(string? strategy, string? model, string message)
    {
        var request = new EvaluationRequest(Strategies: strategy is null ? null : [strategy], Models: model is null ? null : [model], Settings: Few);
        var e = Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateBaselines(Linear, request, Path.Combine(TestPaths.TempDir(), "m.json")));
        Assert.Contains(message, e.Message);
        Assert.Contains("valid", e.Message);
    }

    [Fact]
    public void A_strategy_that_does_not_apply_to_the_task_is_refused()
    {
        var trees = new EvaluationProblem(new DecisionTree(4), 9);
        var e = Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateBaselines(trees, new EvaluationRequest(Strategies: ["skewed"]), Path.Combine(TestPaths.TempDir(), "m.json")));
        Assert.Contains("does not apply to decision_tree", e.Message);
    }

    [Fact]
    public void A_run_without_checkpoint_and_an_unreadable_metrics_file_are_refused_and_nothing_is_overwritten()
    {
        var empty = new RunFolder(TestPaths.TempDir());
        Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateRun(empty, new EvaluationRequest()));
        var run = TinyRun();
        File.WriteAllText(run.MetricsPath, "{ not json");
        var e = Assert.ThrowsAny<InputException>(() => RunEvaluation.EvaluateRun(run, new EvaluationRequest(Settings: Few)));
        Assert.StartsWith(run.MetricsPath, e.Message);
        Assert.Equal("{ not json", File.ReadAllText(run.MetricsPath));
        var recomputed = RunEvaluation.EvaluateRun(run, new EvaluationRequest(Strategies: ["standard"], Recompute: true, Settings: Few));
        Assert.True(recomputed.Evaluations.ContainsKey("standard"));
    }
}
