using InContext.Evaluation;
using InContext.Training;
using Xunit;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Tests.Reliability;

/// <summary>A run that diverges stops at once, keeps its last good checkpoint and says so; NaN never reaches a file.</summary>
public class DivergenceTests
{
    [Theory]
    [InlineData("learning rate 1000", 1000.0, "")]
    [InlineData("outputs scaled by 1e30", 0.001, "  task_kwargs: {scale: 1.0e30}")]
    public void Training_stops_at_the_first_non_finite_loss_and_keeps_the_last_good_checkpoint(string why, double learningRate, string extra)
    {
        var dir = TestPaths.TempDir();
        var config = TrainingConfigs.Write(dir, TrainingConfigs.Tiny(steps: 40, saveEvery: 1, keepEvery: 1, learningRate: learningRate, extra: extra));
        var (code, _, stderr) = Cli.RunIn(dir, ["train", config, "--run-id", "r"]);
        Assert.True(code == 3, $"{why}: exit {code}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^error: training diverged at step \d+: (loss (NaN|∞|-∞|Infinity)|(weights|Adam's first moment \(exp_avg\)|Adam's second moment \(exp_avg_sq\))( and .*)? not finite after the update \(loss [^)]+\)); "
                       + @"(.*state\.pt still holds step \d+, the last good checkpoint; rerunning resumes there|no checkpoint was written); lower training\.learning_rate", line);
        var run = new RunFolder(Path.Combine(dir, "runs", "r"));
        Assert.Equal(line.Contains("no checkpoint was written"), !run.HasState);
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp"));
        Assert.False(File.Exists(run.MetricsPath));
        // every checkpoint on disk holds finite weights and Adam moments, and the model loads
        foreach (var file in Directory.GetFiles(run.Path, "*.pt"))
        {
            using var contents = PyTorchCheckpoint.Read(file);
            Assert.All(contents.Model.Values, t => Assert.True(t.isfinite().all().item<bool>(), $"{file} holds non-finite weights"));
            AssertFiniteMoments(file, contents);
        }
        if (run.HasState) using (run.LoadModel()) { }
        // the same command resumes from that checkpoint and diverges at the same step again, writing nothing over it
        var state = run.HasState ? File.ReadAllBytes(run.StatePath) : [];
        var (again, _, stderr2) = Cli.RunIn(dir, ["train", config, "--run-id", "r"]);
        Assert.Equal(3, again);
        Assert.Equal(line, stderr2.Trim());
        Assert.Equal(state, run.HasState ? File.ReadAllBytes(run.StatePath) : []);
    }

    static void AssertFiniteMoments(string file, CheckpointContents contents)
    {
        if (contents.Optimizer?["state"] is not System.Collections.Hashtable state) return;
        foreach (System.Collections.Hashtable entry in state.Values)
            foreach (var key in new[] { "exp_avg", "exp_avg_sq" })
                Assert.True(((Tensor)entry[key]!).isfinite().all().item<bool>(), $"{file} holds a non-finite {key}");
    }

    /// <summary>
    /// The hostile tester's case: Adam's second moment overflows (a gradient squared past float's
    /// range) while the loss stays finite, and the weights, updated by m / sqrt(inf) = 0, stay
    /// finite too, so a check of the loss and the weights alone trains on and saves the infinite
    /// moment. Here the moment is made infinite by hand before a step: the step must stop the run,
    /// say what went non-finite, and write nothing.
    /// </summary>
    [Fact]
    public void An_overflowing_Adam_moment_stops_training_though_loss_and_weights_are_finite()
    {
        var dir = TestPaths.TempDir();
        var config = InContext.Config.RunConfig.Parse(TrainingConfigs.Tiny(steps: 6, saveEvery: 1)) with { OutDir = dir };
        var run = new RunFolder(Path.Combine(dir, "r"));
        using (var trainer = new Trainer(config, run)) trainer.Train(3);
        var saved = File.ReadAllBytes(run.StatePath);
        using (var trainer = new Trainer(config, run))
        {
            using (no_grad()) ((TorchSharp.Modules.Adam.State)trainer.Optimizer.state_dict().State[0]).exp_avg_sq.fill_(float.PositiveInfinity);
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train(6));
            Assert.Matches(@"^training diverged at step 3: Adam's second moment \(exp_avg_sq\) not finite after the update \(loss [0-9.]+\); .*state\.pt still holds step 2, the last good checkpoint", e.Message);
            Assert.True(trainer.Model.parameters().All(p => p.isfinite().all().item<bool>()), "the weights stayed finite: only the moment tells");
        }
        Assert.Equal(saved, File.ReadAllBytes(run.StatePath));
    }

    [Fact]
    public void A_checkpoint_with_non_finite_weights_is_refused_for_evaluation_in_one_line()
    {
        var run = new RunFolder(Probing.ProbingRun.Copy());
        using (var trainer = new Trainer(run.LoadConfig(), run))
        {
            using (no_grad()) trainer.Model._read_out.weight!.fill_(float.NaN);
            PyTorchCheckpoint.WriteState(run.StatePath, trainer.Model, trainer.Optimizer, 2);
        }
        var (code, _, stderr) = Cli.Run("eval", run.Path, "--examples", "8");
        Assert.Equal(2, code);
        Assert.Contains("state.pt: 1 of", stderr);
        Assert.Contains("hold NaN or infinity (first: _read_out.weight); the run diverged before this checkpoint", stderr);
        Assert.False(File.Exists(run.MetricsPath));
    }

    /// <summary>A learner whose every prediction is NaN, as a diverged model's would be.</summary>
    sealed class NotANumber : IPredictor
    {
        public string Name => "nan_model";
        public string DisplayName => Name;
        public Tensor Predict(Tensor xs, Tensor ys) => full(ys.shape, float.NaN);
    }

    [Fact]
    public void Predictions_that_are_not_finite_are_refused_and_never_written_as_json()
    {
        var specs = Evaluations.For(new LinearRegression(3)).Take(1).ToList();
        var file = new MetricsFile();
        var e = Assert.Throws<InputException>(() => Evaluator.Run(specs, [new LeastSquares(), new NotANumber()], 5, new EvaluationSettings(16), file));
        Assert.Equal("model nan_model predicted NaN or infinity on evaluation 'standard' (prompts 1-16); the inputs may be too large for float32; nothing was written", e.Message);
        file.Set("standard", "bad", new PositionStats([double.NaN], [0], [0], [0]));
        var path = Path.Combine(TestPaths.TempDir(), "metrics.json");
        Assert.Throws<InvalidOperationException>(() => file.Save(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Importing_a_diverged_run_warns_but_keeps_its_weights()
    {
        var paper = Path.Combine(TestPaths.TempDir(), "paper");
        Directory.CreateDirectory(paper);
        foreach (var f in Directory.GetFiles(TestPaths.ReferenceRun)) File.Copy(f, Path.Combine(paper, Path.GetFileName(f)));
        var model = Path.Combine(paper, "model_5.pt");
        var table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(model);
        ((Tensor)table["_read_in.bias"]!).fill_(float.PositiveInfinity);
        PyTorchCheckpoint.WriteAtomically(model, table);
        var (code, _, stderr) = Cli.Run("import", paper, "--step", "5", "--out", Path.Combine(TestPaths.TempDir(), "imported"));
        Assert.Equal(0, code);
        Assert.Contains("warning: 1 weight tensors hold NaN or infinity (first: _read_in.bias)", stderr);
    }
}
