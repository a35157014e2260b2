using InContext.Evaluation;
using InContext.Identification;
using Xunit;

namespace InContext.Tests.Identification;

/// <summary>identify names the learner a model is: SPD, ILWD and the R² of its linear fit, on models whose algorithm is known.</summary>
public class IdentifyTests
{
    const int D = 4, Points = 9;
    static readonly IdentifySettings Few = new(new EvaluationSettings(NumExamples: 64, BatchSize: 32));

    static IdentificationResult Identify(IPredictor model, FunctionClass task, IReadOnlyList<IPredictor>? learners = null) =>
        InContext.Identification.Identify.Run(model, new EvaluationSpec("standard", task, PromptingStrategy.Standard), Points,
            learners ?? ReferenceLearners.Grid(task, []), Few);

    [Fact]
    public void Least_squares_as_a_model_is_identified_as_least_squares_with_SPD_0_and_R2_1()
    {
        var result = Identify(new BlackBox(new LeastSquares()), new LinearRegression(D));
        for (var k = 1; k < Points; k++)
        {
            var closest = result.ClosestBySpd(k);
            Assert.True(closest.Id == LeastSquares.Id, $"after {k}: {closest.Id} at SPD {closest.Spd[k]}, least squares at {result.Learner(LeastSquares.Id)!.Spd[k]}");
            Assert.True(result.Learner(LeastSquares.Id)!.Spd[k] < 1e-10, $"SPD at {k}: {result.Learner(LeastSquares.Id)!.Spd[k]}");
            Assert.Equal(LeastSquares.Id, result.ClosestByIlwd(k)!.Id);
            Assert.True(result.Learner(LeastSquares.Id)!.Ilwd![k] < 1e-8, $"ILWD at {k}");
            Assert.Equal(1, result.RSquared![k], 6);
            // the model's own error is least squares' (a model that is least squares errs as it does)
            Assert.Equal(result.Learner(LeastSquares.Id)!.Error[k], result.ModelError[k], 6);
        }
        // other learners differ from it where the data do not pin w down (k < d): their SPD is not 0
        Assert.True(result.Learner(Averaging.Id)!.Spd[2] > 0.05);
        Assert.True(result.Learner(Ridge.IdOf(10))!.Spd[2] > 1e-3);
    }

    [Fact]
    public void Ridge_as_a_model_is_identified_as_ridge_at_its_own_penalty()
    {
        var task = new NoisyLinearRegression(D, noiseStd: 0.5);
        var result = Identify(new BlackBox(new Ridge(1)), task);
        for (var k = 1; k < Points; k++)
        {
            Assert.Equal(Ridge.IdOf(1), result.ClosestBySpd(k).Id);
            Assert.Equal(Ridge.IdOf(1), result.ClosestByIlwd(k)!.Id);
            Assert.Equal(1, result.RSquared![k], 6);
        }
        // the grid holds the Bayes-optimal penalty of the task (noise 0.25 over the prior's 1)
        Assert.NotNull(result.Learner(Ridge.IdOf(0.25)));
        Assert.True(result.Learner(LeastSquares.Id)!.Spd[D] > 1e-3);
    }

    [Fact]
    public void Nearest_neighbours_as_a_model_is_far_from_linear()
    {
        var result = Identify(new BlackBox(new NearestNeighbours(3)), new LinearRegression(D));
        Assert.Equal(NearestNeighbours.IdOf(3), result.ClosestBySpd(Points - 1).Id);
        // 3-NN's function of the query is piecewise constant: a linear fit leaves a good part of it unexplained
        Assert.True(result.RSquared![Points - 1] < 0.9, $"R² {result.RSquared![Points - 1]}");
        // with at most 3 examples it is the mean of all of them whatever the query: constant, no spread to explain
        for (var k = 1; k <= 3; k++) Assert.True(double.IsNaN(result.RSquared[k]), $"R² after {k}: {result.RSquared[k]}");
    }

    [Fact]
    public void A_task_without_linear_structure_gets_SPD_and_no_ILWD_or_R2()
    {
        var task = TaskRegistry.CreateDefault("quadratic_regression", D);
        var result = Identify(new BlackBox(new LeastSquares()), task);
        Assert.Null(result.RSquared);
        Assert.All(result.Learners, l => Assert.Null(l.Ilwd));
        Assert.Contains("ILWD and R² not measured", result.NotLinear);
        Assert.Equal(LeastSquares.Id, result.ClosestBySpd(Points - 1).Id);
        Assert.Equal(0, result.Learner(LeastSquares.Id)!.Spd[Points - 1], 10);
        Assert.Null(result.ClosestByIlwd(1));
    }

    [Fact]
    public void The_model_error_equals_evals_on_the_same_seed()
    {
        // identify reads the very prompts eval draws from a seed: the model's error is eval's
        var task = new LinearRegression(D);
        var spec = new EvaluationSpec("standard", task, PromptingStrategy.Standard);
        var metrics = new MetricsFile();
        Evaluator.Run([spec], [new LeastSquares()], Points, Few.Prompts, metrics);
        var result = Identify(new BlackBox(new LeastSquares()), task, [new Averaging()]);
        var eval = metrics.Evaluations["standard"][LeastSquares.Id].Mean;
        for (var k = 0; k < Points; k++) Assert.Equal(eval[k] / D, result.ModelError[k], 5);
    }

    [Fact]
    public void Too_few_query_points_are_refused_before_any_work()
    {
        var e = Assert.Throws<ParameterException>(() => InContext.Identification.Identify.Check(InContext.Tests.Probing.ProbingRun.Config, new InContext.Probing.ProbeOptions(),
            new IdentifySettings(new EvaluationSettings(), Queries: 7)));
        Assert.Equal("queries", e.Parameter);
        Assert.Contains("at least 2 × the 4 active dims = 8", e.Message);
    }

    [Fact]
    public void The_library_snippet_of_the_docs_runs_on_a_run_folder()
    {
        // docs/algorithms.md, "From C#", on the small probing run with few prompts
        var run = new Storage.RunFolder(InContext.Tests.Probing.ProbingRun.Dir);
        var settings = new IdentifySettings(new EvaluationSettings(NumExamples: 32));
        var result = InContext.Identification.Identify.Run(run, new InContext.Probing.ProbeOptions(), settings);
        Assert.Equal(7, result.Positions);
        Assert.NotNull(result.ClosestBySpd(4).Id);
        Assert.InRange(result.RSquared![4], -1, 1);
        var files = IdentificationFigures.Write(result, run.Name, Path.Combine(TestPaths.TempDir(), "identify"));
        Assert.Equal(5, files.Count);
        var sweep = InContext.Probing.ShiftSweep.Parse("scale_x", "0.5:2:3");
        var swept = InContext.Identification.Identify.Sweep(run, sweep, new InContext.Probing.ProbeOptions(), settings);
        Assert.Equal([0.5, 1, 2], swept.Select(s => s.Value));
        // a sweep's point is the single identification at that value: the same prompts, the same numbers
        var single = InContext.Identification.Identify.Run(run, new InContext.Probing.ProbeOptions(ScaleX: 2), settings);
        Assert.Equal(single.RSquared, swept[2].Result.RSquared);
        Assert.Equal(single.Learners[0].Spd, swept[2].Result.Learners[0].Spd);
        var probes = LayerProbes.Run(run, new LayerProbeSettings(TrainPrompts: 64, TestPrompts: 16));
        Assert.Equal(3, probes.RSquared.Length);   // the embedding and two blocks
    }
}
