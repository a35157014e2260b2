using InContext.Evaluation;
using InContext.Tests.Baselines;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Extension;

/// <summary>
/// The two additions that prove the extension rule (a class or a learner is one file and one
/// registry line): <c>logistic_regression</c> and its learner, and <c>ridge</c>, checked against
/// their definitions.
/// </summary>
public class NewClassAndLearnerTests
{
    [Fact]
    public void Logistic_labels_follow_the_sign_more_often_the_larger_the_scale()
    {
        double Agreement(double scale)
        {
            var task = new LogisticRegression(5, scale);
            using var g = new Generator(1);
            var xs = randn(new long[] { 400, 20, 5 }, generator: g);
            using var f = task.SampleFunctions(400, g, 5);
            var ys = task.Evaluate(f, xs, g);
            Assert.True(ys.abs().eq(1).all().item<bool>(), "labels are ±1");
            var sign = xs.matmul(f["w"]).squeeze(-1).sign();
            return ys.eq(sign).to_type(float32).mean().item<float>();
        }
        // with x·w ~ N(0, 5), P(y = sign) = E[σ(scale·|x·w|)]: about 0.81 at scale 1, about 1 at scale 100
        Assert.InRange(Agreement(1), 0.78, 0.84);
        Assert.InRange(Agreement(100), 0.99, 1.0);
    }

    [Fact]
    public void The_logistic_learner_reaches_the_optimum_of_its_objective()
    {
        var data = Data.Gaussian(seed: 5, b: 1, n: 30, d: 4, x => x[0] - 2 * x[2] > 0.3 ? 1 : -1);
        var prompt = Prompt.Slice(Flat(data), Labels(data), Flat(data), 0, data.N, data.D);
        foreach (var count in new[] { 1, 3, 10, 29 })
        {
            var w = new double[data.D];
            LogisticRegressionLearner.Fit(prompt, count, w);
            // the gradient of Σ log(1 + exp(−y x·w)) + ½‖w‖² vanishes at the optimum
            for (int a = 0; a < data.D; a++)
            {
                var g = w[a];
                for (int j = 0; j < count; j++)
                {
                    var x = prompt.Row(j);
                    var margin = prompt.Y[j] * x.ToArray().Zip(w).Sum(t => t.First * t.Second);
                    g -= prompt.Y[j] * x[a] / (1 + Math.Exp(margin));
                }
                Assert.True(Math.Abs(g) < 1e-8, $"{count} pairs: gradient {g} in coordinate {a}");
            }
        }
        // on many separable pairs it classifies them: predicting each training point from all the others
        var predictions = new LogisticRegressionLearner().Predict(data.Xs(), data.Ys());
        var correct = Enumerable.Range(15, 15).Count(i => Math.Sign(predictions[0, i].item<float>()) == Math.Sign(data.Y[0, i]));
        Assert.True(correct >= 12, $"{correct} of 15 right");
    }

    [Fact]
    public void Ridge_is_its_closed_form_and_tends_to_least_squares()
    {
        using var scope = NewDisposeScope();
        var data = Data.Linear(seed: 8, b: 3, n: 9, d: 4);
        var ridge = new Ridge(0.5).Predict(data.Xs(), data.Ys());
        for (int p = 0; p < data.B; p++)
            for (int i = 1; i < data.N; i++)
            {
                var x = tensor(Enumerable.Range(0, i).SelectMany(j => Enumerable.Range(0, data.D).Select(k => data.X[p, j, k])).ToArray(), float64).view(i, data.D);
                var y = tensor(Enumerable.Range(0, i).Select(j => data.Y[p, j]).ToArray(), float64).view(i, 1);
                var w = linalg.inv(x.t().matmul(x) + 0.5 * eye(data.D, dtype: float64)).matmul(x.t().matmul(y));
                var q = tensor(Enumerable.Range(0, data.D).Select(k => data.X[p, i, k]).ToArray(), float64).view(1, data.D);
                Assert.Equal(q.matmul(w).item<double>(), ridge[p, i].item<float>(), 1e-4);
            }
        var tiny = new Ridge(1e-9).Predict(data.Xs(), data.Ys());
        var squares = new LeastSquares().Predict(data.Xs(), data.Ys());
        Assert.True(tiny.narrow(1, data.D, data.N - data.D).allclose(squares.narrow(1, data.D, data.N - data.D), rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void Ridge_at_the_noise_variance_beats_least_squares_on_noisy_regression()
    {
        // the Bayes-optimal predictor: never worse on average, clearly better around d examples
        var problem = new EvaluationProblem(new NoisyLinearRegression(8, noiseStd: 1), 17);
        Assert.Contains(Ridge.IdOf(1), problem.Task.Baselines().Select(b => b.Name));
        var m = RunEvaluation.EvaluateBaselines(problem, new EvaluationRequest(Strategies: ["standard"], Settings: new EvaluationSettings(512)),
            Path.Combine(TestPaths.TempDir(), "metrics.json")).Evaluations["standard"];
        var (ridge, squares) = (m[Ridge.IdOf(1)].Mean, m[LeastSquares.Id].Mean);
        for (int i = 1; i < 17; i++) Assert.True(ridge[i] <= squares[i] * 1.02, $"at {i}: ridge {ridge[i]}, least squares {squares[i]}");
        Assert.True(ridge[8] < 0.5 * squares[8], $"at d: ridge {ridge[8]}, least squares {squares[8]}");
    }

    static double[] Flat(Data d) => Enumerable.Range(0, d.B).SelectMany(p => Enumerable.Range(0, d.N).SelectMany(i => Enumerable.Range(0, d.D).Select(k => d.X[p, i, k]))).ToArray();
    static double[] Labels(Data d) => Enumerable.Range(0, d.B).SelectMany(p => Enumerable.Range(0, d.N).Select(i => d.Y[p, i])).ToArray();
}
