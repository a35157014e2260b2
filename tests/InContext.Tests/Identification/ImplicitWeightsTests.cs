using InContext.Identification;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Identification;

/// <summary>ŵ read from a learner's answers is its own w; the linear learners' w are their closed forms.</summary>
public class ImplicitWeightsTests
{
    static (Tensor xs, Tensor ys, Tensor queries) Context(int b, int k, int d, int m, long seed = 7)
    {
        using var g = new Generator((ulong)seed);
        var xs = randn(new long[] { b, k, d }, generator: g);
        var w = randn(new long[] { b, d, 1 }, generator: g);
        var ys = xs.matmul(w).squeeze(-1) + 0.5 * randn(new long[] { b, k }, generator: g);
        return (xs, ys, randn(new long[] { b, m, d }, generator: g));
    }

    [Theory]
    [InlineData(2)]    // fewer pairs than dims
    [InlineData(6)]
    public void Ridges_w_recovered_from_its_predictions_equals_its_closed_form(int k)
    {
        const int d = 4;
        var (xs, ys, queries) = Context(b: 5, k, d, m: 12);
        var ridge = new Ridge(0.5);
        // its answers through one prompt per query (its per-position code), not through its weights
        var answers = ((IPredictor)new BlackBox(ridge)).PredictAtContext(xs, ys, queries);
        var recovered = ImplicitWeights.Fit(queries, answers);
        var x = xs.to(float64);
        var closedForm = linalg.solve(x.transpose(1, 2).bmm(x) + 0.5 * eye(d, dtype: float64), x.transpose(1, 2).bmm(ys.to(float64).unsqueeze(-1))).squeeze(-1);
        Assert.True(recovered.Weights.allclose(closedForm, rtol: 1e-4, atol: 1e-5), $"{recovered.Weights} vs {closedForm}");
        Assert.True(ridge.Weights(xs, ys).allclose(closedForm, rtol: 1e-10, atol: 1e-12));
        Assert.True(recovered.Residual.max().item<double>() < 1e-8 * recovered.Total.min().item<double>());   // a linear function: nothing left over
    }

    [Fact]
    public void A_nonlinear_function_leaves_a_residual_the_fit_reports()
    {
        using var g = new Generator(3);
        var queries = randn(new long[] { 2, 400, 3 }, generator: g);
        var answers = queries.select(2, 0) + queries.select(2, 1).square();
        var fit = ImplicitWeights.Fit(queries, answers);
        Assert.InRange(fit.Weights[0, 0].item<double>(), 0.85, 1.15);     // the linear part is found
        var explained = 1 - fit.Residual / fit.Total;
        Assert.True(explained.max().item<double>() < 0.8);            // the square is not explained by it
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(5, 0.5)]
    [InlineData(16, 1.0)]
    public void Gradient_descents_closed_form_equals_its_steps(int steps, double rate)
    {
        var (xs, ys, queries) = Context(b: 3, k: 6, d: 4, m: 5, seed: 11);
        var learner = new LinearGradientDescent(steps, rate);
        var x = xs.to(float64);
        var y = ys.to(float64).unsqueeze(-1);
        var h = x.transpose(1, 2).bmm(x) / 6;
        var top = linalg.eigvalsh(h).select(1, 3).view(3, 1, 1);
        var w = zeros(3, 4, 1, dtype: float64);
        for (var t = 0; t < steps; t++) w = w - rate / top * (h.bmm(w) - x.transpose(1, 2).bmm(y) / 6);
        Assert.True(learner.Weights(xs, ys).allclose(w.squeeze(-1), rtol: 1e-8, atol: 1e-10));
        // and it predicts x · w, in batch and at each position
        var answers = ((IPredictor)learner).PredictAtContext(xs, ys, queries);
        Assert.True(answers.to(float64).allclose(queries.to(float64).bmm(w).squeeze(-1), rtol: 1e-4, atol: 1e-5));
        var prompt = cat(new[] { xs, queries.narrow(1, 0, 1) }, 1);
        var last = learner.Predict(prompt, cat(new[] { ys, zeros(3, 1) }, 1)).select(1, 6);
        Assert.True(last.allclose(answers.select(1, 0), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Many_steps_of_gradient_descent_reach_least_squares()
    {
        var (xs, ys, _) = Context(b: 4, k: 10, d: 3, m: 1, seed: 5);
        var gd = new LinearGradientDescent(steps: 5000, rate: 1).Weights(xs, ys);
        Assert.True(gd.allclose(new LeastSquares().Weights(xs, ys), rtol: 1e-6, atol: 1e-8));
    }

    [Fact]
    public void The_linear_learners_weights_are_what_they_predict_with()
    {
        var (xs, ys, queries) = Context(b: 3, k: 5, d: 4, m: 6, seed: 13);
        foreach (var learner in new IPredictor[] { new LeastSquares(), new Ridge(2), new Averaging(), new LinearGradientDescent(3, 0.5) })
        {
            var fromPrompts = ((IPredictor)new BlackBox(learner)).PredictAtContext(xs, ys, queries).to(float64);
            var fromWeights = queries.to(float64).bmm(((ILinearLearner)learner).Weights(xs, ys).unsqueeze(-1)).squeeze(-1);
            Assert.True(fromPrompts.allclose(fromWeights, rtol: 1e-4, atol: 1e-5), learner.Name);
        }
        Assert.True(new LeastSquares().Weights(xs.narrow(1, 0, 0), ys.narrow(1, 0, 0)).eq(0).all().item<bool>());
    }
}
