using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Tasks;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Probing;

public class StandardizationTests
{
    static readonly TrainingDistribution Linear = new(new LinearRegression(ProbingRun.NDims), ProbingRun.NPositions);

    /// <summary>A model that predicts the identity: the query's first input, whatever the context.</summary>
    sealed class Identity : IPredictor
    {
        public string Name => "identity";
        public string DisplayName => "identity";
        public Tensor Predict(Tensor xs, Tensor ys) => xs.select(2, 0).clone();
    }

    [Fact]
    public void Forward_then_back_is_the_identity_and_the_context_lands_on_the_training_scale()
    {
        using var g = new Generator(3);
        var x = randn(new long[] { 30, 3 }, generator: g) * tensor(new[] { 100.0, 0.01, 5 }) + tensor(new[] { 1e3, -2.0, 0 });
        var y = randn(new long[] { 30 }, generator: g).to(float64) * 40 + 7;
        var s = Standardization.Fit(x, y, Linear.OutputStd(3));
        Assert.True(s.BackY(s.Y(y)).allclose(y, rtol: 1e-12, atol: 1e-9));
        var sx = s.X(x);
        Assert.True(sx.mean(new long[] { 0 }).abs().max().ToDouble() < 1e-9);
        Assert.True((sx.std(0, unbiased: false) - 1).abs().max().ToDouble() < 1e-9);
        Assert.Equal(Math.Sqrt(3), s.Y(y).std(unbiased: false).ToDouble(), 9);
        Assert.Equal(0, s.Y(y).mean().ToDouble(), 9);
    }

    [Fact]
    public void A_model_that_predicts_the_identity_stays_the_identity()
    {
        // One input on the scale of thousands; y = x. On the training scale (d = 1: x and y both
        // have std 1) the identity model still sees y = x, and its predictions map back to x.
        var x = tensor(new[] { 1000.0, 1010, 990, 1025, 1003 }).view(5, 1);
        var queries = tensor(new[] { 995.0, 1040, 1000 }).view(3, 1);
        using var identity = new InContextRegressor(new Identity(), Linear) { Standardize = true }.Fit(x, x.view(5));
        Assert.True(identity.Predict(queries).allclose(queries.view(3), rtol: 1e-6));
        // So does a learner that finds y = x1 in context, with more inputs: least squares.
        using var g = new Generator(4);
        var x3 = randn(new long[] { 6, 3 }, dtype: float64, generator: g) * 50 + 1000;
        var q3 = randn(new long[] { 2, 3 }, dtype: float64, generator: g) * 50 + 1000;
        using var ls = new InContextRegressor(new LeastSquares(), Linear) { Standardize = true }.Fit(x3, x3.select(1, 0));
        Assert.True(ls.Predict(q3).allclose(q3.select(1, 0), rtol: 1e-5));
    }

    [Fact]
    public void Standardize_needs_a_training_distribution()
    {
        using var r = new InContextRegressor(new LeastSquares());
        Assert.Throws<InvalidOperationException>(() => r.Standardize = true);
    }

    [Theory]
    [InlineData("linear_regression", "{}")]
    [InlineData("linear_regression", "{scale: 2}")]
    [InlineData("sparse_linear_regression", "{sparsity: 2}")]
    [InlineData("noisy_linear_regression", "{noise_std: 1.5}")]
    [InlineData("noisy_linear_regression", "{noise_std: 1, renormalize_ys: true}")]
    [InlineData("quadratic_regression", "{}")]
    [InlineData("relu_2nn_regression", "{}")]
    [InlineData("decision_tree", "{}")]
    public void The_training_output_std_is_the_tasks_own(string task, string kwargs)
    {
        // The oracle: the std of the outputs the task draws, over many prompts, with 3 of 5 dims active.
        var config = RunConfig.Parse($$"""
            model: {family: gpt2, n_dims: 5, n_positions: 11, n_embd: 8, n_layer: 1, n_head: 1}
            training:
              task: {{task}}
              task_kwargs: {{kwargs}}
              train_steps: 1
              curriculum:
                dims: {start: 3, end: 3, inc: 1, interval: 1}
                points: {start: 11, end: 11, inc: 1, interval: 1}
            out_dir: unused
            """);
        var distribution = TrainingDistribution.Of(config);
        var fc = config.CreateTask();
        using var g = new Generator(5);
        var xs = randn(new long[] { 4000, 11, 5 }, generator: g);
        xs.narrow(2, 3, 2).zero_();
        using var functions = fc.SampleFunctions(4000, g, 3);
        var ys = fc.Evaluate(functions, xs, g);
        var std = ys.std().ToDouble();
        Assert.InRange(distribution.OutputStd(3)!.Value / std, 0.95, 1.05);
    }

    [Fact]
    public void Labels_are_never_rescaled()
    {
        var labels = new TrainingDistribution(new LinearClassification(3), 5);
        Assert.Null(labels.OutputStd(3));
        var y = tensor(new[] { 1.0, -1, 1 });
        var s = Standardization.Fit(randn(3, 2), y, labels.OutputStd(2));
        Assert.True(s.Y(y).Same(y));
    }

    [Fact]
    public void Cli_says_that_it_standardized_and_with_which_factors()
    {
        var context = Path.Combine(TestPaths.TempDir(), "c.csv");
        File.WriteAllLines(context, ["x1,y", "1000,1000", "1010,1010", "990,990", "1020,1020"]);
        var query = Path.Combine(TestPaths.TempDir(), "q.csv");
        File.WriteAllLines(query, ["x1", "1005", "1030"]);
        var (code, stdout, stderr) = Cli.Run("predict", ProbingRun.Dir, "--context", context, "--query", query, "--standardize",
            "--models", "least_squares", "--format", "csv");
        Assert.True(code == 0, stderr);
        Assert.Contains("standardized for every model: x ← (x − mean) / std per column, mean [1005]", stderr);
        Assert.Contains("y ← (y − 1005)", stderr);
        var predictions = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1005, predictions[0], 2);
        Assert.Equal(1030, predictions[1], 2);
    }
}
