using InContext.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Evaluation;

/// <summary>Each prompting strategy and input shift has the property that defines it.</summary>
public class StrategyTests
{
    static Tensor Xs(int b = 16, int n = 12, int d = 6, ulong seed = 1)
    {
        using var g = new Generator(seed);
        return randn(new long[] { b, n, d }, generator: g);
    }

    [Fact]
    public void Random_quadrants_puts_every_example_in_one_orthant_and_keeps_fresh_queries()
    {
        var sampled = Xs();
        using var g = new Generator(2);
        var (xs, queries) = PromptingStrategy.RandomQuadrants.Build(sampled, g);
        var signs = xs.sign();
        Assert.True(signs.eq(signs.narrow(1, 0, 1)).all().item<bool>());   // same sign pattern at every point of a prompt
        Assert.True(xs.abs().allclose(sampled.abs()));
        Assert.True(queries!.Same(sampled));
        Assert.False(signs[0, 0].Same(signs[1, 0]) && signs[1, 0].Same(signs[2, 0]) && signs[2, 0].Same(signs[3, 0])); // patterns vary
    }

    [Fact]
    public void Orthogonal_queries_are_orthogonal_to_every_earlier_example_and_keep_their_norm()
    {
        var sampled = Xs(n: 10, d: 6);
        using var g = new Generator(2);
        var (xs, queries) = PromptingStrategy.OrthogonalTrainTest.Build(sampled, g);
        for (var i = 0; i < 6; i++)
        {
            var q = queries!.narrow(1, i, 1);                               // [b, 1, d]
            if (i > 0)
            {
                // cosines between the query and each example: 0 up to float32 rounding
                var cosines = xs.narrow(1, 0, i).matmul(q.transpose(1, 2)) / (xs.narrow(1, 0, i).norm(2, true) * q.norm(2, true));
                Assert.True(cosines.abs().max().ToDouble() < 1e-3, $"query {i} is not orthogonal to its examples");
            }
            Assert.True(q.norm(2, true).allclose(sampled.narrow(1, i, 1).norm(2, true), rtol: 1e-4, atol: 1e-5));
        }
        Assert.True(queries!.narrow(1, 6, 4).eq(0).all().item<bool>()); // past d there is no orthogonal direction
    }

    [Fact]
    public void Overlapping_queries_are_earlier_examples()
    {
        var sampled = Xs();
        using var g = new Generator(2);
        var (xs, queries) = PromptingStrategy.OverlappingTrainTest.Build(sampled, g);
        for (var b = 0; b < 16; b++)
            for (var i = 1; i < 12; i++)
            {
                var q = queries![b, i];
                Assert.Contains(Enumerable.Range(0, i), j => xs[b, j].Same(q));
            }
    }

    [Fact]
    public void Linear_regression_has_the_fifteen_evaluations_with_the_right_shifts()
    {
        var specs = Evaluations.For(new LinearRegression(8));
        Assert.Equal(new[]
        {
            "standard", "random_quadrants", "orthogonal_train_test", "overlapping_train_test", "half_subspace", "skewed",
            "scale-x=0.333", "scale-x=0.5", "scale-x=2", "scale-x=3", "scale-y=0.333", "scale-y=0.5", "scale-y=2", "scale-y=3", "noisyLR",
        }, specs.Select(s => s.Name));
        double[] Eig(string name) => linalg.eigvalsh(specs.Single(s => s.Name == name).InputScale!).data<float>().Select(v => (double)v).Order().ToArray();
        // half subspace: eigenvalues sqrt(2) on half the dims (normalised), 0 on the rest
        Assert.Equal(new[] { 0, 0, 0, 0, Math.Sqrt(2), Math.Sqrt(2), Math.Sqrt(2), Math.Sqrt(2) }, Eig("half_subspace"), (a, b) => Math.Abs(a - b) < 1e-4);
        // skewed: eigenvalues 1/(j+1), normalised so their squares sum to d
        var skewed = Eig("skewed");
        Assert.Equal(8.0, skewed.Sum(e => e * e), 3);
        Assert.Equal(8.0, skewed.Max() / skewed.Min(), 3);
        Assert.All(Eig("scale-x=3"), e => Assert.Equal(3.0, e, 4));
        Assert.Equal(2.0, ((LinearRegression)specs.Single(s => s.Name == "scale-y=2").Task).Scale);
        var noisy = Assert.IsType<NoisyLinearRegression>(specs.Single(s => s.Name == "noisyLR").Task);
        Assert.Equal((1.0, true), (noisy.NoiseStd, noisy.RenormalizeYs));
        // other tasks: standard only; ReLU nets also on linear functions
        Assert.Equal(new[] { "standard" }, Evaluations.For(new DecisionTree(8)).Select(s => s.Name));
        Assert.Equal(new[] { "standard", "linear_regression" }, Evaluations.For(new Relu2nnRegression(8)).Select(s => s.Name));
        Assert.Equal(new[] { "standard" }, Evaluations.For(new SparseLinearRegression(8)).Select(s => s.Name));
    }
}
