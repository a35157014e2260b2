using InContext.Baselines;
using InContext.Evaluation;
using InContext.Sampling;
using InContext.Tasks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Tasks;

/// <summary>Each function class's statistics, checked against its definition in its documentation.</summary>
public class FunctionClassTests
{
    static Generator G(ulong seed = 1) => new(seed);

    [Fact]
    public void Linear_regression_is_x_dot_w_times_scale()
    {
        var task = new LinearRegression(4, scale: 2.5);
        using var g = G();
        using var f = task.SampleFunctions(3, g, 4);
        var xs = randn(new long[] { 3, 7, 4 }, generator: g);
        var ys = task.Evaluate(f, xs, g);
        var w = f["w"];
        for (var b = 0; b < 3; b++)
            for (var i = 0; i < 7; i++)
            {
                var expected = 2.5 * (xs[b, i] * w[b].squeeze(-1)).sum().ToDouble();
                Assert.Equal(expected, ys[b, i].ToDouble(), 4);
            }
    }

    [Theory]
    [InlineData(false, 1.0, 0.5)]
    [InlineData(false, 2.0, 0.5)]
    [InlineData(true, 2.0, 0.5)]
    public void Noisy_linear_functions_are_compared_with_ridge_at_its_Bayes_optimal_penalty(bool noisyClass, double scale, double noise)
    {
        // Noise added by a probe (NoisyOutputs) brought no ridge at all, and noisy_linear_regression's
        // ridge ignored the scale (alpha = noise², where y = scale · x·w + noise needs noise² / scale²).
        FunctionClass task = noisyClass ? new NoisyLinearRegression(5, noise, scale: scale) : new NoisyOutputs(new LinearRegression(5, scale), noise);
        var ridge = Assert.Single(task.Baselines().OfType<Ridge>());
        Assert.Equal(noise * noise / (scale * scale), ridge.Alpha, 12);
        // Optimal as the posterior mean is: a quarter and four times the penalty err more, on the same prompts.
        var metrics = new MetricsFile();
        IPredictor[] ridges = [ridge, new Ridge(ridge.Alpha / 4), new Ridge(ridge.Alpha * 4)];
        Evaluator.Run([new EvaluationSpec("noisy", task, PromptingStrategy.Standard)], ridges, 11, new EvaluationSettings(NumExamples: 2048, BatchSize: 512), metrics);
        double Error(IPredictor p) => metrics.Evaluations["noisy"][p.Name].Mean.Skip(1).Sum();
        Assert.True(Error(ridges[0]) < Error(ridges[1]) && Error(ridges[0]) < Error(ridges[2]),
            string.Join(", ", ridges.Select(r => $"{r.Name}: {Error(r)}")));
    }

    [Fact]
    public void A_noiseless_linear_class_has_no_ridge_until_noise_is_added()
    {
        var linear = new LinearRegression(5);
        Assert.DoesNotContain(linear.Baselines(), b => b is Ridge);
        Assert.DoesNotContain(linear.BaselinesUnderNoise(0), b => b is Ridge);
        Assert.Equal("ridge_0.01", Assert.Single(linear.BaselinesUnderNoise(0.1).OfType<Ridge>()).Name);   // not ridge_0.010000000000000002
        // classes whose outputs are not linear in x keep their own baselines under noise
        Assert.DoesNotContain(new QuadraticRegression(5).BaselinesUnderNoise(0.5), b => b is Ridge);
    }

    [Fact]
    public void Weights_are_standard_normal()
    {
        var task = new LinearRegression(20);
        using var g = G();
        using var f = task.SampleFunctions(2000, g, 20);
        Assert.InRange(f["w"].mean().ToDouble(), -0.02, 0.02);
        Assert.InRange(f["w"].std().ToDouble(), 0.98, 1.02);
    }

    [Fact]
    public void Sparse_weights_have_exactly_sparsity_nonzeros_inside_the_valid_coordinates()
    {
        var task = new SparseLinearRegression(10, sparsity: 3);
        using var g = G();
        using var f = task.SampleFunctions(500, g, activeDims: 6);
        var nonzero = f["w"].squeeze(-1).ne(0);
        Assert.True(nonzero.sum(1).eq(3).all().ToBoolean());
        Assert.False(nonzero.narrow(1, 6, 4).any().ToBoolean());
        // uniform over the 6 valid coordinates: each chosen about 3/6 of the time
        var freq = nonzero.narrow(1, 0, 6).to_type(float32).mean(new long[] { 0 });
        Assert.True(freq.sub(0.5).abs().max().ToDouble() < 0.1, freq.ToString(TorchSharp.TensorStringStyle.Julia));
        // an explicit valid_coords wins over the curriculum
        using var f2 = new SparseLinearRegression(10, sparsity: 2, validCoords: 4).SampleFunctions(200, g, 10);
        Assert.False(f2["w"].squeeze(-1).narrow(1, 4, 6).ne(0).any().ToBoolean());
    }

    [Fact]
    public void Linear_classification_labels_are_signs_and_its_metric_is_accuracy()
    {
        var task = new LinearClassification(5);
        using var g = G();
        using var f = task.SampleFunctions(8, g, 5);
        var xs = randn(new long[] { 8, 10, 5 }, generator: g);
        var ys = task.Evaluate(f, xs, g);
        Assert.True(ys.abs().eq(1).all().ToBoolean());
        Assert.Equal(1.0, task.Metric(ys * 3, ys).mean().ToDouble(), 6);
        Assert.Equal(0.0, task.Metric(-ys, ys).mean().ToDouble(), 6);
        // BCE of a confident right answer is small, of a wrong one large
        Assert.True(task.TrainingLoss(ys * 10, ys).ToDouble() < 0.001);
        Assert.True(task.TrainingLoss(-ys * 10, ys).ToDouble() > 5);
    }

    [Fact]
    public void Noise_has_the_asked_std_and_renormalisation_fixes_the_batch_std()
    {
        using var g = G();
        var clean = new LinearRegression(5);
        var noisy = new NoisyLinearRegression(5, noiseStd: 0.5);
        using var f = clean.SampleFunctions(200, g, 5);
        var xs = randn(new long[] { 200, 20, 5 }, generator: g);
        var residual = noisy.Evaluate(f, xs, g) - clean.Evaluate(f, xs, g);
        Assert.InRange(residual.std().ToDouble(), 0.48, 0.52);
        var renorm = new NoisyLinearRegression(5, noiseStd: 1, renormalizeYs: true);
        Assert.Equal(Math.Sqrt(5), renorm.Evaluate(f, xs, g).std().ToDouble(), 4);
    }

    [Fact]
    public void Quadratic_regression_is_linear_in_squared_coordinates()
    {
        var task = new QuadraticRegression(3, scale: 2);
        using var g = G();
        using var f = task.SampleFunctions(1, g, 3);
        var xs = tensor(new float[] { 1, -2, 3 }).view(1, 1, 3);
        var w = f["w"].squeeze();
        var expected = 2 * (w[0].ToDouble() * 1 + w[1].ToDouble() * 4 + w[2].ToDouble() * 9) / Math.Sqrt(3);
        Assert.Equal(expected, task.Evaluate(f, xs, g).ToDouble(), 4);
        // y doubles when x is multiplied by sqrt(2)
        Assert.Equal(2 * expected, task.Evaluate(f, xs * Math.Sqrt(2), g).ToDouble(), 3);
    }

    [Fact]
    public void Relu_net_is_positively_homogeneous_and_scaled_by_sqrt_2_over_h()
    {
        var task = new Relu2nnRegression(4, hiddenLayerSize: 50);
        using var g = G();
        using var f = task.SampleFunctions(2, g, 4);
        var xs = randn(new long[] { 2, 5, 4 }, generator: g);
        var ys = task.Evaluate(f, xs, g);
        Assert.True(task.Evaluate(f, xs * 3, g).allclose(ys * 3, rtol: 1e-4, atol: 1e-4));
        var manual = nn.functional.relu(xs.matmul(f["W1"])).matmul(f["W2"]).squeeze(-1) * Math.Sqrt(2.0 / 50);
        Assert.True(manual.allclose(ys, rtol: 1e-5, atol: 1e-5));
        // E[y²] = 2·E[relu(w·x)²] = E|x|² = d for Gaussian inputs: sqrt(2/h) keeps the output at the linear task's scale
        using var many = task.SampleFunctions(2000, g, 4);
        var big = task.Evaluate(many, randn(new long[] { 2000, 10, 4 }, generator: g), g);
        Assert.InRange(big.var().ToDouble(), 4 * 0.85, 4 * 1.15);
    }

    [Fact]
    public void A_depth_4_tree_takes_at_most_16_values_and_follows_the_child_rule()
    {
        var task = new DecisionTree(6, depth: 4);
        using var g = G();
        using var f = task.SampleFunctions(5, g, 6);
        var xs = randn(new long[] { 5, 300, 6 }, generator: g);
        var ys = task.Evaluate(f, xs, g);
        var coords = f["coords"].data<long>().ToArray();
        var values = f["values"].data<float>().ToArray();
        var nodes = (int)f["coords"].shape[1];
        for (var b = 0; b < 5; b++)
        {
            Assert.True(ys[b].unique().Item1.shape[0] <= 16);
            for (var i = 0; i < 300; i++)
            {
                // walk the tree by hand: x[coord] > 0 goes right (2i+2), else left (2i+1)
                var node = 0;
                for (var level = 0; level < 4; level++)
                    node = xs[b, i, coords[b * nodes + node]].ToSingle() > 0 ? 2 * node + 2 : 2 * node + 1;
                Assert.Equal(values[b * nodes + node], ys[b, i].ToSingle());
            }
        }
    }

    [Fact]
    public void Per_prompt_seeds_reproduce_each_prompt_alone()
    {
        var task = new LinearRegression(3);
        var sampler = new GaussianSampler(3);
        var xs = sampler.SampleFromSeeds(4, new long[] { 10, 20 });
        var xsAgain = sampler.SampleFromSeeds(4, new long[] { 20 });
        Assert.True(xs[1].Same(xsAgain[0]));
        using var f = task.SampleFunctionsFromSeeds(new long[] { 11, 21 }, 3);
        using var f2 = task.SampleFunctionsFromSeeds(new long[] { 21 }, 3);
        Assert.True(f["w"][1].Same(f2["w"][0]));
    }

    [Fact]
    public void A_pool_draws_only_its_functions()
    {
        var task = new LinearRegression(3);
        using var pool = new FunctionPool(task, 4, seed: 7);
        using var g = G();
        using var drawn = pool.Draw(100, g);
        Assert.True(drawn["w"].squeeze(-1).unique(dim: 0).Item1.shape[0] <= 4);
    }

    [Fact]
    public void Sampler_truncates_scales_and_shifts()
    {
        using var g = G();
        var xs = new GaussianSampler(5).Sample(7, 3, g, nDimsTruncated: 2);
        Assert.False(xs.narrow(2, 2, 3).ne(0).any().ToBoolean());
        Assert.True(xs.narrow(2, 0, 2).ne(0).all().ToBoolean());
        var scale = eye(2) * 3;
        var bias = tensor(new float[] { 1, -1 });
        using var g1 = G(5);
        using var g2 = G(5);
        var plain = new GaussianSampler(2).Sample(4, 2, g1);
        var moved = new GaussianSampler(2, scale, bias).Sample(4, 2, g2);
        Assert.True(moved.allclose(plain * 3 + bias));
    }

    [Fact]
    public void Transformation_has_the_asked_eigenvalues_and_normalises()
    {
        using var g = G();
        var eig = new double[] { 4, 1, 1, 0 };
        var t = Transformations.SampleTransformation(eig, normalize: false, g);
        var values = linalg.eigvalsh(t).data<float>().Select(v => (double)v).Order().ToArray();
        Assert.Equal(eig.Order().ToArray(), values, (a, b) => Math.Abs(a - b) < 1e-4);
        var n = Transformations.SampleTransformation(eig, normalize: true, g);
        Assert.Equal(4.0, n.square().sum().ToDouble(), 3); // Frobenius² = d after normalisation
    }

    [Fact]
    public void The_linear_classes_state_the_w_of_their_outputs_and_their_Bayes_ridge_penalty()
    {
        var task = new NoisyLinearRegression(4, noiseStd: 0.5, scale: 2);
        using var g = G(5);
        using var f = task.SampleFunctions(3, g, 4);
        var xs = randn(new long[] { 3, 6, 4 }, generator: g);
        var noiseless = new LinearRegression(4, scale: 2).Evaluate(f, xs, g);
        // y = x · w for the w the class states (here with the scale folded in)
        Assert.True(xs.matmul(task.LinearWeights(f).unsqueeze(-1)).squeeze(-1).allclose(noiseless, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(0.25, task.NoiseVariance);
        Assert.Equal(0.25 / 4, task.BayesRidgePenalty);                             // σ² / τ², τ = the scale
        Assert.Equal(0, new LinearRegression(4).BayesRidgePenalty);                 // noiseless: the limit α → 0, least squares
        Assert.Equal(0.25 + 1, new NoisyOutputs(task, 1).NoiseVariance);            // added noise adds its variance
        Assert.Null(new SparseLinearRegression(4).BayesRidgePenalty);               // a sparse w has no Gaussian prior
        Assert.True(new SparseLinearRegression(4).IsLinear);
        foreach (var name in new[] { "quadratic_regression", "linear_classification", "logistic_regression", "relu_2nn_regression", "decision_tree" })
        {
            var other = TaskRegistry.CreateDefault(name, 4);
            Assert.False(other.IsLinear, name);
            Assert.Throws<InvalidOperationException>(() => other.LinearWeights(f));
        }
        Assert.False(new NoisyLinearRegression(4, 0.5, renormalizeYs: true).IsLinear);   // each batch rescaled by its own spread
    }
}
