using InContext.Baselines;
using InContext.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Baselines;

/// <summary>The contract of <see cref="IPredictor"/>, checked for every baseline.</summary>
public class AllBaselinesTests
{
    public static TheoryData<string> Ids => new()
    {
        LeastSquares.Id, NearestNeighbours.IdOf(3), Averaging.Id, Lasso.IdOf(0.1), Lasso.IdOf(0.0001),
        GradientDescentNet.Id, GreedyTree.IdOfDepth(4), GreedyTree.Id, BoostedTrees.Id, LightGbmBoostedTrees.Id,
        LinearGradientDescent.IdOf(4, 1), Ridge.IdOf(0.25),
    };

    static IPredictor Fast(string id) => id == GradientDescentNet.Id ? new GradientDescentNet(steps: 20) : Learners.Create(id);

    [Theory]
    [MemberData(nameof(Ids))]
    public void Float32_on_the_device_of_xs_and_zero_without_examples(string id)
    {
        using var scope = NewDisposeScope();
        var data = Data.Linear(seed: 41, b: 3, n: 9, d: 4);
        var predictions = Fast(id).Predict(data.Xs(), data.Ys());
        Assert.Equal(new long[] { 3, 9 }, predictions.shape);
        Assert.Equal(float32, predictions.dtype);
        Assert.Equal(data.Xs().device.ToString(), predictions.device.ToString());
        Assert.All(Enumerable.Range(0, 3), p => Assert.Equal(0f, predictions[p, 0].item<float>()));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Position_i_ignores_later_pairs(string id)
    {
        const int cut = 6;
        var data = Data.Gaussian(seed: 42, b: 3, n: 12, d: 4, x => x[0] - 2 * x[1] + x[2] * x[3]);
        var changed = Data.Gaussian(seed: 42, b: 3, n: 12, d: 4, x => x[0] - 2 * x[1] + x[2] * x[3]);
        var random = new Random(43);
        for (int p = 0; p < data.B; p++)
            for (int i = cut; i < data.N; i++)
            {
                changed.Y[p, i] = 10 * Data.Normal(random);   // y of the query at `cut` and after
                if (i > cut)
                    for (int k = 0; k < data.D; k++) changed.X[p, i, k] = (float)Data.Normal(random);
            }
        var predictor = Fast(id);
        var before = data.PredictWith(predictor);
        var after = changed.PredictWith(predictor);
        for (int p = 0; p < data.B; p++)
            for (int i = 0; i <= cut; i++)
                Assert.Equal(before[p, i], after[p, i], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_last_position_alone_is_the_last_column(string id)
    {
        // The GD net's random start depends on how many nets came before, so it is compared
        // where the last position is also the first fit: two points.
        foreach (int n in id == GradientDescentNet.Id ? new[] { 1, 2 } : new[] { 1, 2, 10 })
        {
            using var scope = NewDisposeScope();
            var data = Data.Gaussian(seed: 44, b: 3, n: n, d: 4, x => x[0] - x[1] * x[2]);
            var predictor = Fast(id);
            var last = predictor.PredictLast(data.Xs(), data.Ys());
            var all = predictor.Predict(data.Xs(), data.Ys());
            Assert.Equal(new long[] { 3 }, last.shape);
            Assert.Equal(float32, last.dtype);
            for (int p = 0; p < data.B; p++)
                Assert.Equal(all[p, n - 1].item<float>(), last[p].item<float>(), 1e-5);
        }
    }

    [Fact]
    public void The_papers_baselines_per_task()
    {
        string[] Names(string task) => TaskRegistry.CreateDefault(task, 20).Baselines().Select(b => b.Name).ToArray();
        string[] basic = { LeastSquares.Id, NearestNeighbours.IdOf(3), Averaging.Id };
        Assert.Equal(basic, Names("linear_regression"));
        Assert.Equal(basic, Names("quadratic_regression"));
        Assert.Equal(basic.Concat(Lasso.PaperAlphas.Select(Lasso.IdOf)), Names("sparse_linear_regression"));
        Assert.Equal(basic.Append(GradientDescentNet.Id), Names("relu_2nn_regression"));
        Assert.Equal(basic.Concat(new[] { GreedyTree.IdOfDepth(4), GreedyTree.Id, BoostedTrees.Id }), Names("decision_tree"));
    }

    [Fact]
    public void Every_listed_baseline_is_built_back_from_its_name()
    {
        var all = new[] { "linear_regression", "sparse_linear_regression", "relu_2nn_regression", "decision_tree" }
            .SelectMany(task => TaskRegistry.CreateDefault(task, 20).Baselines());
        foreach (var baseline in all)
        {
            var rebuilt = Learners.Create(baseline.Name);
            Assert.Equal(baseline.GetType(), rebuilt.GetType());
            Assert.Equal(baseline.Name, rebuilt.Name);
            Assert.Equal(InContext.Reports.ModelDisplay.Name(baseline.Name), rebuilt.DisplayName);
        }
        Assert.Equal("knn_5", Learners.Create("knn_5").Name);
        Assert.Equal("tree_depth_2", Learners.Create("tree_depth_2").Name);
        Assert.Equal("gd_16_0.5", Learners.Create("gd_16_0.5").Name);
        Assert.Equal("GD from 0 (16 steps, rate 0.5)", InContext.Reports.ModelDisplay.Name("gd_16_0.5"));
        Assert.Equal(DiscreteMmse.Display, InContext.Reports.ModelDisplay.Name(DiscreteMmse.Id));
    }

    [Theory]
    [InlineData("cubic_spline")]
    [InlineData("knn_0")]
    [InlineData("knn_x")]
    [InlineData("lasso_-1")]
    [InlineData("lasso_1e-2")]
    [InlineData("gd_0_1")]        // no step
    [InlineData("gd_4_2")]        // a rate of 2 diverges
    [InlineData("gd_04_1")]       // one id per learner
    [InlineData("dmmse")]         // needs a run's task pool
    public void An_unknown_name_lists_the_valid_ones(string id)
    {
        var error = Assert.Throws<ParameterException>(() => Learners.Create(id));
        Assert.Contains(id, error.Message);
        Assert.Contains(LeastSquares.Id, error.Message);
        Assert.Contains("lasso_<alpha>", error.Message);
    }
}
