using System.Globalization;
using InContext.Baselines;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Training;
using Xunit;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Tests.Probing;

/// <summary>
/// A context of one's own: the prediction of a query equals the evaluator's prediction at the
/// same position of the same prompt, through the library, the regressor and <c>icl predict</c>.
/// </summary>
public class PredictTests
{
    /// <summary>The evaluator's reading: position k of each prompt (context then query), as <see cref="Evaluator"/> asks it.</summary>
    static Tensor EvaluatorAt(IPredictor model, Tensor xs, Tensor ys, int k) => model.Predict(xs, ys).select(1, k);

    /// <summary>Queries <c>[q, d]</c> from separate prompts, each prompt's first k pairs being the same context.</summary>
    static (Tensor contextX, Tensor contextY, Tensor queries, Tensor promptsX, Tensor promptsY) Shared(int k, int q, int dims)
    {
        var (xs, ys) = ProbingRun.Prompts(1, k + q, dims);
        var contextX = xs[0].narrow(0, 0, k);
        var contextY = ys[0].narrow(0, 0, k);
        var queries = xs[0].narrow(0, k, q);
        var promptsX = cat(new[] { contextX.unsqueeze(0).expand(q, k, dims), queries.unsqueeze(1) }, 1);
        var promptsY = cat(new[] { contextY.unsqueeze(0).expand(q, k), ys[0].narrow(0, k, q).unsqueeze(1) }, 1);
        return (contextX, contextY, queries, promptsX, promptsY);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void Transformer_through_a_context_equals_the_evaluator_on_the_same_prompt(int k)
    {
        using var model = new RunFolder(ProbingRun.Dir).LoadModel();
        var (cx, cy, queries, px, py) = Shared(k, 5, ProbingRun.NDims);
        var expected = EvaluatorAt(model, px, py, k);
        Assert.True(ContextPrediction.Predict(model, cx, cy, queries).Same(expected));
        using var regressor = InContextRegressor.FromRun(ProbingRun.Dir).Fit(cx, cy);
        Assert.True(regressor.Predict(queries).to(float32).Same(expected));
    }

    [Fact]
    public void Fewer_columns_are_zero_padded_as_the_curriculum_does()
    {
        using var model = new RunFolder(ProbingRun.Dir).LoadModel();
        var (cx, cy, queries, px, py) = Shared(3, 4, 2);
        var padded = nn.functional.pad(px, [0, ProbingRun.NDims - 2]);
        using var regressor = InContextRegressor.FromRun(ProbingRun.Dir).Fit(cx, cy);
        Assert.True(regressor.Predict(queries).to(float32).Same(EvaluatorAt(model, padded, py, 3)));
    }

    [Fact]
    public void Baselines_through_a_context_equal_the_evaluator_on_the_same_prompt()
    {
        var (cx, cy, queries, px, py) = Shared(6, 3, ProbingRun.NDims);
        foreach (var id in new[] { "least_squares", "knn_3", "averaging", "lasso_0.01", "tree_depth_4", "boosted_trees" })
        {
            var baseline = Learners.Create(id);
            Assert.True(ContextPrediction.Predict(baseline, cx, cy, queries).Same(EvaluatorAt(baseline, px, py, 6)), id);
        }
    }

    [Fact]
    public void The_double_array_api_fits_and_predicts_like_scikit_learn()
    {
        // y = 2·x1 − x2 exactly: least squares recovers it from 3 pairs.
        var x = new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } };
        var y = new[] { 2.0, -1, 1 };
        using var regressor = InContextRegressor.Baseline("least_squares").Fit(x, y);
        var predictions = regressor.Predict(new double[,] { { 3, 1 }, { -1, 2 } });
        Assert.Equal(5, predictions[0], 4);
        Assert.Equal(-4, predictions[1], 4);
        Assert.Equal(3, regressor.ContextSize);
        Assert.Equal(2, regressor.Dims);
    }

    [Fact]
    public void The_regressor_refuses_what_the_model_cannot_read()
    {
        using var regressor = InContextRegressor.FromRun(ProbingRun.Dir);
        Assert.Contains("n_dims = 4", Assert.Throws<ArgumentException>(() => regressor.Fit(zeros(3, 5), zeros(3))).Message);
        Assert.Contains("n_positions − 1 = 8", Assert.Throws<ArgumentException>(() => regressor.Fit(zeros(9, 2), zeros(9))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => regressor.Fit(zeros(0, 2), zeros(0))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => regressor.Fit(full(2, 2, double.NaN), zeros(2))).Message);
        Assert.Throws<InvalidOperationException>(() => regressor.Predict(zeros(1, 2)));
        regressor.Fit(zeros(2, 2), zeros(2));
        Assert.Contains("[q, 2]", Assert.Throws<ArgumentException>(() => regressor.Predict(zeros(1, 3))).Message);
    }

    static double[][] ReadCsv(string text, out string[] header)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
    }

    [Fact]
    public void Cli_predict_csv_equals_the_evaluator_on_the_same_prompts()
    {
        const int k = 5;
        var (cx, cy, queries, px, py) = Shared(k, 4, 3);
        var context = ProbingRun.Csv(ProbingRun.Header(3, true), cat(new[] { cx, cy.unsqueeze(1) }, 1));
        var query = ProbingRun.Csv(ProbingRun.Header(3, false), queries);
        var (code, stdout, stderr) = Cli.Run("predict", ProbingRun.Dir, "--context", context, "--query", query, "--format", "csv",
            "--models", "transformer,least_squares,knn_3");
        Assert.True(code == 0, stderr);
        var rows = ReadCsv(stdout, out var header);
        Assert.Equal(["transformer", "least_squares", "knn_3"], header);
        Assert.Equal(4, rows.Length);
        using var model = new RunFolder(ProbingRun.Dir).LoadModel();
        var padded = nn.functional.pad(px, [0, ProbingRun.NDims - 3]);
        var expected = new[] { EvaluatorAt(model, padded, py, k), EvaluatorAt(new LeastSquares(), padded, py, k), EvaluatorAt(new NearestNeighbours(3), padded, py, k) };
        for (var m = 0; m < 3; m++)
            Assert.Equal(expected[m].data<float>().ToArray(), rows.Select(r => (float)r[m]).ToArray());
        Assert.Contains("context: 5 pairs × 3 inputs", stderr);
    }

    [Fact]
    public void Cli_predict_without_a_run_gives_the_baselines_alone_in_every_format()
    {
        var (cx, cy, queries, _, _) = Shared(6, 2, 2);
        var context = ProbingRun.Csv(ProbingRun.Header(2, true), cat(new[] { cx, cy.unsqueeze(1) }, 1));
        var query = ProbingRun.Csv(ProbingRun.Header(2, false), queries);
        var (code, stdout, stderr) = Cli.Run("predict", "--context", context, "--query", query, "--format", "csv");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("least_squares,knn_3,averaging\n", stdout);
        var outFile = Path.Combine(TestPaths.TempDir(), "p.json");
        (code, stdout, stderr) = Cli.Run("predict", "--context", context, "--query", query, "--format", "json", "--out", outFile);
        Assert.True(code == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(outFile));
        Assert.Equal(2, json.RootElement.GetProperty("predictions").GetProperty("least_squares").GetArrayLength());
        (code, stdout, stderr) = Cli.Run("predict", "--context", context, "--query", query);
        Assert.True(code == 0, stderr);
        Assert.Contains("least_squares", stdout);
        Assert.Contains("│", stdout);
        (code, _, stderr) = Cli.Run("predict", "--context", context, "--query", query, "--models", "transformer");
        Assert.Equal(2, code);
        Assert.Contains("needs a run folder", stderr);
    }
}
