using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Training;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Probing;

/// <summary>icl probe: one shift from the command line, evaluated like eval evaluates.</summary>
public class ProbeTests
{
    static readonly EvaluationSettings Settings = new(NumExamples: 256);
    static readonly string[] LeastSquares = ["least_squares"];

    static double[] Mean(ProbeResult r, string model) => r.Errors[model].Mean;

    [Fact]
    public void A_probe_of_the_runs_own_distribution_reproduces_evals_standard_numbers()
    {
        var run = new RunFolder(ProbingRun.Copy());
        var eval = RunEvaluation.EvaluateRun(run, new EvaluationRequest(Strategies: ["standard"], Settings: Settings)).Evaluations["standard"];
        var probe = Probe.Run(run, new ProbeOptions(), Settings);
        Assert.Equal("standard", probe.Evaluation.Name);
        Assert.Equal(eval.Keys, probe.Errors.Keys);
        Assert.Contains(InContext.Models.InContextTransformer.Id, probe.Errors.Keys);
        // the same prompts, the same models: the very same numbers, not merely close ones
        foreach (var (model, stats) in eval)
        {
            var probed = probe.Errors[model];
            Assert.Equal(stats.Mean, probed.Mean);
            Assert.Equal(stats.Std, probed.Std);
            Assert.Equal(stats.BootstrapLow, probed.BootstrapLow);
            Assert.Equal(stats.BootstrapHigh, probed.BootstrapHigh);
        }
    }

    [Fact]
    public void Scale_y_3_raises_the_error_of_least_squares_ninefold()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var plain = Mean(Probe.Run(run, new ProbeOptions(), Settings, LeastSquares), "least_squares");
        var scaled = Probe.Run(run, new ProbeOptions(ScaleY: 3), Settings, LeastSquares);
        Assert.Equal("scale-y=3", scaled.Evaluation.Name);
        // Below d examples least squares errs; the same prompts with 3× the outputs err 9× as much.
        for (var i = 1; i < ProbingRun.NDims; i++)
            Assert.Equal(9, Mean(scaled, "least_squares")[i] / plain[i], 2);
    }

    [Fact]
    public void Noise_raises_the_error_past_d_and_fewer_dims_let_least_squares_finish_sooner()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var plain = Mean(Probe.Run(run, new ProbeOptions(), Settings, LeastSquares), "least_squares");
        var noisy = Mean(Probe.Run(run, new ProbeOptions(Noise: 0.5), Settings, LeastSquares), "least_squares");
        var fewer = Probe.Run(run, new ProbeOptions(NDims: 2), Settings, LeastSquares);
        for (var i = ProbingRun.NDims + 1; i < ProbingRun.TrainedPoints; i++)
        {
            Assert.True(plain[i] < 1e-6, $"noiseless least squares errs {plain[i]} at {i}");
            Assert.True(noisy[i] > 0.25, $"noise 0.5 gives least squares only {noisy[i]} at {i}");   // at least the noise's variance
        }
        Assert.Equal(2, fewer.ActiveDims);
        Assert.True(Mean(fewer, "least_squares")[1] > 0.1);
        Assert.True(Mean(fewer, "least_squares")[2] < 1e-6, "two active dims are solved by two examples");
        Assert.True(plain[2] > 0.1);
    }

    [Fact]
    public void More_points_than_training_saw_up_to_n_positions_and_no_further()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var longer = Probe.Run(run, new ProbeOptions(Points: ProbingRun.NPositions), new EvaluationSettings(64));
        Assert.Equal(ProbingRun.NPositions, longer.Errors[InContext.Models.InContextTransformer.Id].Mean.Length);
        var e = Assert.Throws<ParameterException>(() => Probe.Run(run, new ProbeOptions(Points: ProbingRun.NPositions + 1)));
        Assert.Equal("points", e.Parameter);
        Assert.Equal($"points {ProbingRun.NPositions + 1}: the model reads prompts of 1 to n_positions = {ProbingRun.NPositions} points", e.Message);
        Assert.Contains("n_dims = 4", Assert.ThrowsAny<InputException>(() => Probe.Run(run, new ProbeOptions(NDims: 5))).Message);
    }

    [Fact]
    public void Another_function_class_brings_its_own_baselines()
    {
        var run = new RunFolder(ProbingRun.Dir);
        var trees = Probe.Run(run, new ProbeOptions(Task: "decision_tree"), new EvaluationSettings(16));
        Assert.Equal("decision_tree", trees.Evaluation.Name);
        Assert.Equal(["transformer", "least_squares", "knn_3", "averaging", "tree_depth_4", "tree", "boosted_trees"], trees.Errors.Keys);
        Assert.Contains("no output scale", Assert.ThrowsAny<InputException>(() => Probe.Run(run, new ProbeOptions(Task: "decision_tree", ScaleY: 2))).Message);
        Assert.Contains("unknown", Assert.ThrowsAny<InputException>(() => Probe.Run(run, new ProbeOptions(Task: "cubic"))).Message);
    }

    [Fact]
    public void Output_noise_brings_ridge_at_the_noise_and_the_sweep_finds_it_best_at_d()
    {
        // The noise shift compared the transformer with least squares, 3-NN and averaging only: at
        // k = d least squares spikes, and "best classical" was a learner far from the best there is.
        var run = new RunFolder(ProbingRun.Dir);
        var noisy = Probe.Run(run, new ProbeOptions(Noise: 0.5), new EvaluationSettings(256), withZero: true);
        Assert.Equal(["transformer", "least_squares", "knn_3", "averaging", "ridge_0.25", "zero"], noisy.Errors.Keys);
        var atD = ShiftErrors.At(noisy, ProbingRun.NDims);
        Assert.Equal("ridge_0.25", atD.BestModel);
        Assert.True(atD.Best < atD.LeastSquares / 2, $"ridge {atD.Best}, least squares {atD.LeastSquares} at k = d");
        Assert.DoesNotContain("ridge_0.25", Probe.Run(run, new ProbeOptions(), new EvaluationSettings(16)).Errors.Keys);
    }

    [Fact]
    public void A_run_trained_on_fewer_dims_than_its_model_takes_is_probed_on_those_by_default()
    {
        // conf/extrapolation.yaml: n_dims 10, trained on 5 active dims and 11 of 41 points. A probe
        // without --n-dims used all 10 dims: an extrapolation presented as the run's own distribution.
        var config = RunConfig.Load(TestPaths.Conf("extrapolation.yaml"));
        var (own, problem) = Probe.Build(config, new ProbeOptions());
        Assert.Equal(("standard", 5, 11), (own.Name, own.Dims, problem.NPoints));
        var more = Probe.Build(config, new ProbeOptions(NDims: 8, Points: 21)).spec;
        Assert.Equal(("points=21,n-dims=8", 8), (more.Name, more.Dims));
        var all = Probe.Build(config, new ProbeOptions(NDims: 10)).spec;
        Assert.Equal(("n-dims=10", 10, null), (all.Name, all.Dims, all.ActiveDims));
        // a curriculum stopped short of its end by train_steps: the dims of its last step (2 + 2999 / 1000)
        var young = config with { Training = config.Training with { TrainSteps = 3000, Curriculum = new(new Schedule(2, 10, 1, 1000), new Schedule(11, 11, 1, 1000)) } };
        Assert.Equal(4, Probe.Build(young, new ProbeOptions()).spec.Dims);
    }

    [Fact]
    public void Shifts_compose_into_one_evaluation()
    {
        var (spec, problem) = Probe.Build(ProbingRun.Config, new ProbeOptions(
            Points: 9, NDims: 3, ScaleX: 2, Noise: 0.1, Bias: 1.5, Strategy: "random_quadrants"));
        Assert.Equal("random_quadrants,points=9,n-dims=3,scale-x=2,noise=0.1,bias=1.5", spec.Name);
        Assert.Equal("random_quadrants", spec.Strategy.Name);
        Assert.Equal(3, spec.ActiveDims);
        Assert.Equal(0.1, Assert.IsType<NoisyOutputs>(spec.Task).NoiseStd);
        Assert.True(spec.InputBias!.eq(1.5).all().item<bool>());
        // eval's scale-x=c: a random rotation times c, i.e. c·I
        Assert.True(spec.InputScale!.allclose(2 * TorchSharp.torch.eye(ProbingRun.NDims), atol: 1e-5));
        Assert.Equal(9, problem.NPoints);
        Assert.Contains("strategy", Assert.ThrowsAny<InputException>(() => Probe.Build(ProbingRun.Config, new ProbeOptions(Strategy: "sideways"))).Message);
        Assert.Contains("positive", Assert.ThrowsAny<InputException>(() => Probe.Build(ProbingRun.Config, new ProbeOptions(ScaleX: 0))).Message);
    }

    [Fact]
    public void Bias_moves_the_inputs_of_the_evaluated_prompts()
    {
        // Averaging (w = mean(y x)) is biased by a mean in x; least squares is not.
        var run = new RunFolder(ProbingRun.Dir);
        string[] models = ["least_squares", "averaging"];
        var plain = Probe.Run(run, new ProbeOptions(), Settings, models);
        var shifted = Probe.Run(run, new ProbeOptions(Bias: 3), Settings, models);
        var last = ProbingRun.TrainedPoints - 1;
        Assert.True(Mean(shifted, "averaging")[last] > 3 * Mean(plain, "averaging")[last]);
        Assert.True(Mean(shifted, "least_squares")[last] < 1e-4);
    }

    [Fact]
    public void Cli_probe_prints_the_table_and_writes_the_figure()
    {
        var figure = Path.Combine(TestPaths.TempDir(), "probe.png");
        var (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--scale-y", "3", "--examples", "64", "--plot", figure);
        Assert.True(code == 0, stderr);
        Assert.Contains("Probe scale-y=3 of", stdout);
        Assert.Contains("scale-y=3: squared error / 4", stdout);
        Assert.Contains("Least Squares", stdout);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(figure).Take(4));

        (code, stdout, stderr) = Cli.Run("probe", ProbingRun.Dir, "--points", "10");
        Assert.Equal(2, code);
        Assert.Equal("error: --points 10: the model reads prompts of 1 to n_positions = 9 points\n", stderr);
        (code, _, stderr) = Cli.Run("probe", ProbingRun.Dir, "--plot", "figure.gif");
        Assert.Equal(2, code);
        Assert.Contains(".png or .svg", stderr);
    }
}
