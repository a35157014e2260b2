using InContext.Baselines;
using InContext.Evaluation;
using Xunit;

namespace InContext.Tests.Baselines;

public class LassoTests
{
    /// <summary>
    /// Optimality of ‖y − Xw‖²/(2i) + α‖w‖₁ at every prefix: the gradient g_j = X_jᵀ(y − Xw)/i
    /// satisfies |g_j| ≤ α, and g_j = α·sign(w_j) where w_j ≠ 0.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.1)]
    [InlineData(0.01)]
    [InlineData(0.001)]
    [InlineData(0.0001)]
    public void Every_prefix_solution_meets_the_KKT_conditions(double alpha)
    {
        const int n = 30, d = 12;
        var data = Data.Linear(seed: 7, b: 2, n: n, d: d, sparsity: 3);
        var lasso = new Lasso(alpha);
        for (int p = 0; p < data.B; p++)
        {
            var x = Enumerable.Range(0, n).SelectMany(i => data.Row(p, i)).ToArray();
            var prompt = new Prompt(x, Enumerable.Range(0, n).Select(i => data.Y[p, i]).ToArray(), x, n, d);
            var weights = lasso.FitPrefixes(prompt);
            for (int i = 1; i < n; i++)
            {
                var w = weights[i];
                for (int j = 0; j < d; j++)
                {
                    double gradient = 0;
                    for (int s = 0; s < i; s++)
                    {
                        double residual = data.Y[p, s] - Enumerable.Range(0, d).Sum(k => data.X[p, s, k] * w[k]);
                        gradient += data.X[p, s, j] * residual / i;
                    }
                    if (w[j] == 0)
                        Assert.True(Math.Abs(gradient) <= alpha + 1e-6, $"prefix {i}, coordinate {j}: |{gradient}| > {alpha}");
                    else
                        Assert.True(Math.Abs(gradient - alpha * Math.Sign(w[j])) <= 1e-6, $"prefix {i}, coordinate {j}: {gradient} vs {alpha * Math.Sign(w[j])}");
                }
            }
        }
    }

    [Fact]
    public void Small_alpha_recovers_a_sparse_vector_below_d_examples()
    {
        // Compressed sensing: 3 nonzeros among 20 coordinates are found from 15 examples,
        // where least squares (minimum norm) cannot be exact.
        var data = Data.Linear(seed: 8, b: 4, n: 20, d: 20, sparsity: 3);
        var predictions = data.PredictWith(new Lasso(1e-4));
        for (int p = 0; p < data.B; p++)
            for (int i = 15; i < data.N; i++)
                Assert.Equal(data.Y[p, i], predictions[p, i], 0.02);
    }

    [Fact]
    public void Named_by_its_alpha()
    {
        Assert.Equal("lasso_0.001", new Lasso(0.001).Name);
        Assert.Equal(InContext.Reports.ModelDisplay.Name("lasso_0.001"), new Lasso(0.001).DisplayName);
    }
}
