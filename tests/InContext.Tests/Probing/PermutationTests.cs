using InContext.Baselines;
using InContext.Probing;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Probing;

/// <summary>In-context predictions depend on the order of the context; --permutations averages over orders.</summary>
public class PermutationTests
{
    static (Tensor x, Tensor y, Tensor queries) Data()
    {
        var (xs, ys) = ProbingRun.Prompts(1, 10, ProbingRun.NDims, seed: 7);
        return (xs[0].narrow(0, 0, 7), ys[0].narrow(0, 0, 7), xs[0].narrow(0, 7, 3));
    }

    [Fact]
    public void One_permutation_is_the_plain_prediction_and_more_report_a_spread()
    {
        var (x, y, queries) = Data();
        using var plain = InContextRegressor.FromRun(ProbingRun.Dir).Fit(x, y);
        var expected = plain.Predict(queries);
        using var one = new InContextRegressor(plain.Model, plain.Training) { Permutations = 1, Seed = 3 }.Fit(x, y);
        var qa = queries;
        var single = one.PredictWithSpread(qa);
        Assert.Equal(expected.data<double>().ToArray(), single.Mean);
        Assert.All(single.Std, s => Assert.Equal(0, s));

        using var many = new InContextRegressor(plain.Model, plain.Training) { Permutations = 6, Seed = 3 }.Fit(x, y);
        var spread = many.PredictWithSpread(qa);
        Assert.All(spread.Std, s => Assert.True(s >= 0));
        // The model reads positions: another order, another prediction (so the spread is real).
        Assert.Contains(spread.Std, s => s > 1e-6);
        Assert.NotEqual(single.Mean, spread.Mean);
        // Seeded: the same orders again; another seed, other orders.
        Assert.Equal(spread.Mean, new InContextRegressor(plain.Model, plain.Training) { Permutations = 6, Seed = 3 }.Fit(x, y).PredictWithSpread(qa).Mean);
        Assert.NotEqual(spread.Mean, new InContextRegressor(plain.Model, plain.Training) { Permutations = 6, Seed = 4 }.Fit(x, y).PredictWithSpread(qa).Mean);
    }

    [Fact]
    public void An_order_invariant_learner_has_no_spread()
    {
        // Least squares fits the same line whatever the order of the pairs: the permuted
        // contexts hold the same pairs, so its spread is rounding only.
        var (x, y, queries) = Data();
        using var ls = new InContextRegressor(new LeastSquares()) { Permutations = 5 }.Fit(x, y);
        using var plain = new InContextRegressor(new LeastSquares()).Fit(x, y);
        var spread = ls.PredictWithSpread(new double[,] { { 0.5, -1, 2, 0.1 } });
        Assert.True(spread.Std[0] < 1e-5, $"std {spread.Std[0]}");
        Assert.Equal(plain.Predict(new double[,] { { 0.5, -1, 2, 0.1 } })[0], spread.Mean[0], 4);
    }

    [Fact]
    public void Cli_permutations_1_equals_the_plain_output_and_K_adds_a_spread_column()
    {
        var (x, y, queries) = Data();
        var context = ProbingRun.Csv(ProbingRun.Header(ProbingRun.NDims, true), cat(new[] { x, y.unsqueeze(1) }, 1));
        var query = ProbingRun.Csv(ProbingRun.Header(ProbingRun.NDims, false), queries);
        string[] Run(params string[] extra)
        {
            var (code, stdout, stderr) = Cli.Run(["predict", ProbingRun.Dir, "--context", context, "--query", query, "--format", "csv", "--models", "transformer,least_squares", .. extra]);
            Assert.True(code == 0, stderr);
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        var plain = Run();
        Assert.Equal(plain, Run("--permutations", "1", "--seed", "9"));
        var permuted = Run("--permutations", "4");
        Assert.Equal("transformer,transformer_std,least_squares", permuted[0]);
        Assert.All(permuted.Skip(1), row => Assert.True(double.Parse(row.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture) >= 0));
        Assert.Equal(plain.Skip(1).Select(r => r.Split(',')[1]), permuted.Skip(1).Select(r => r.Split(',')[2]));
    }
}
