using InContext.Baselines;
using InContext.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Baselines;

/// <summary>
/// Every baseline answers a query prompt (first i pairs, then a query of its own) exactly as the
/// paper's evaluator asks it: one prompt per position, with the query in place of x_i.
/// </summary>
public class QueryTests
{
    public static IEnumerable<object[]> All() =>
        new[] { "least_squares", "knn_3", "averaging", "lasso_0.01", "tree_depth_4", "tree", "boosted_trees", "nn_gd", "gd_4_1", "ridge_0.5" }.Select(id => new object[] { id });

    [Theory]
    [MemberData(nameof(All))]
    public void Query_predictions_equal_one_prompt_per_position(string id)
    {
        using var g = new Generator(3);
        var (b, n, d) = (3, 7, 4);
        var xs = randn(new long[] { b, n, d }, generator: g);
        var ys = randn(new long[] { b, n }, generator: g);
        var queries = randn(new long[] { b, n, d }, generator: g);
        var baseline = Learners.Create(id);
        var batched = baseline.PredictQueries(xs, ys, queries);
        for (var i = 1; i < n; i++)
        {
            var prompt = xs.clone();
            prompt.narrow(1, i, 1).copy_(queries.narrow(1, i, 1));
            var one = baseline.Predict(prompt, ys).narrow(1, i, 1);
            Assert.True(one.allclose(batched.narrow(1, i, 1), rtol: 1e-4, atol: 1e-5), $"{id} at position {i}");
        }
    }
}
