using InContext.Config;
using InContext.Interop;
using InContext.Training;
using Xunit;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Tests.Training;

public class TrainerTests
{
    /// <summary>A tiny problem: 2-d linear regression, 5 points, a small model, a large learning rate.</summary>
    static RunConfig Tiny(int steps, int save = 1000, int keep = -1, long seed = 0, string task = "linear_regression", string kwargs = "{}", string numTasks = "null") => RunConfig.Parse($$"""
        model: {family: gpt2, n_dims: 2, n_positions: 5, n_embd: 32, n_layer: 2, n_head: 2}
        training:
          task: {{task}}
          task_kwargs: {{kwargs}}
          batch_size: 32
          learning_rate: 0.003
          train_steps: {{steps}}
          save_every_steps: {{save}}
          keep_every_steps: {{keep}}
          seed: {{seed}}
          num_tasks: {{numTasks}}
          curriculum:
            dims: {start: 2, end: 2, inc: 1, interval: 100}
            points: {start: 5, end: 5, inc: 1, interval: 100}
        out_dir: unused
        wandb: {log_every_steps: 1}
        """);

    [Fact]
    public void A_short_run_drives_the_loss_well_below_the_zero_predictors()
    {
        // The tiniest problem: one fixed linear function (a pool of num_tasks = 1), which the
        // model can learn in its weights in a few hundred steps. (Learning to learn in context
        // takes thousands of steps: the quickstart shows that, measured in the README.)
        using var trainer = new Trainer(Tiny(300, numTasks: "1"), run: null);
        var losses = new List<double>();
        trainer.Train(onStep: r => losses.Add(r.Loss));
        Assert.Equal(300, losses.Count);
        // The zero predictor's loss is E[y²] = |w|² over Gaussian x; measure it on the training data.
        var (_, ys) = trainer.Data.Batch(0);
        var zeroLoss = ys.square().mean().ToDouble();
        var last = losses.TakeLast(30).Average();
        Assert.True(losses[0] > 0.5 * zeroLoss, $"the untrained model already beats the zero predictor ({losses[0]:F3} vs {zeroLoss:F3})");
        Assert.True(last < 0.1 * zeroLoss, $"mean loss of the last 30 steps {last:F3} is not well below the zero predictor's {zeroLoss:F3}");
    }

    [Fact]
    public void A_step_report_numbers_the_step_from_0_as_the_log_does_and_counts_steps_done_from_1_as_icl_prints()
    {
        // icl printed "step 1/5000" for the report whose Step is 0: a library user reading Step as
        // that count was one off. StepsDone is the count; Step stays the log's and checkpoints' number.
        var run = new RunFolder(Path.Combine(TestPaths.TempDir(), "run"));
        var reports = new List<StepReport>();
        using (var trainer = new Trainer(Tiny(3), run)) trainer.Train(onStep: reports.Add);
        Assert.Equal([0, 1, 2], reports.Select(r => r.Step));
        Assert.Equal([1, 2, 3], reports.Select(r => r.StepsDone));
        Assert.Equal(reports[^1].TotalSteps, reports[^1].StepsDone);
        Assert.Equal(reports.Select(r => r.Step), TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));
    }

    [Fact]
    public void Same_seed_same_losses_other_seed_other_losses()
    {
        double[] Run(long seed)
        {
            using var t = new Trainer(Tiny(5, seed: seed), null);
            var l = new List<double>();
            t.Train(onStep: r => l.Add(r.Loss));
            return l.ToArray();
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Checkpoint_round_trip_gives_identical_predictions()
    {
        var dir = TestPaths.TempDir();
        var run = new RunFolder(Path.Combine(dir, "r"));
        using var trainer = new Trainer(Tiny(20, save: 10, keep: 10), run);
        trainer.Train();
        Assert.True(File.Exists(run.StatePath));
        Assert.True(File.Exists(run.ModelPath(10)));
        Assert.False(File.Exists(run.StatePath + ".tmp"));
        var xs = randn(4, 5, 2);
        var ys = randn(4, 5);
        using var loaded = run.LoadModel();
        Assert.True(loaded.Predict(xs, ys).Same(trainer.Model.Predict(xs, ys)));
        using var kept = run.LoadModel(step: 10);
        Assert.False(kept.Predict(xs, ys).Same(trainer.Model.Predict(xs, ys)));
    }

    [Fact]
    public void A_kept_model_is_written_before_the_state_that_counts_its_step()
    {
        // A folder where model_10.pt should go makes its write fail, as a kill between the two
        // writes would stop it: state.pt must then still hold the save before, so that the resume
        // does step 10 again and writes its model, rather than resuming past it without one.
        var dir = TestPaths.TempDir();
        var run = new RunFolder(Path.Combine(dir, "r"));
        Directory.CreateDirectory(run.ModelPath(10));
        using (var t = new Trainer(Tiny(20, save: 5, keep: 10), run))
            Assert.Throws<InputException>(() => t.Train());
        using (var contents = PyTorchCheckpoint.Read(run.StatePath)) Assert.Equal(5, contents.TrainStep);
        Directory.Delete(run.ModelPath(10));
        using (var t = new Trainer(run.LoadConfig(), run))
        {
            Assert.Equal(6, t.NextStep);
            t.Train();
        }
        Assert.Equal([10], run.KeptSteps());
    }

    [Fact]
    public void Resume_after_a_stop_yields_the_losses_of_an_uninterrupted_run()
    {
        var dir = TestPaths.TempDir();
        var config = Tiny(30, save: 1, task: "sparse_linear_regression", kwargs: "{sparsity: 1}");

        var straight = new List<double>();
        using (var t = new Trainer(config, new RunFolder(Path.Combine(dir, "straight"))))
            t.Train(onStep: r => straight.Add(r.Loss));

        var resumed = new List<double>();
        var run = new RunFolder(Path.Combine(dir, "stopped"));
        using (var t = new Trainer(config, run))
            t.Train(totalSteps: 12, onStep: r => resumed.Add(r.Loss));
        using (var t = new Trainer(run.LoadConfig(), run))
        {
            Assert.Equal(12, t.NextStep);
            t.Train(onStep: r => resumed.Add(r.Loss));
        }
        Assert.Equal(30, resumed.Count);
        for (var i = 0; i < 30; i++) Assert.Equal(straight[i], resumed[i], 5);
        // the log holds each step once
        Assert.Equal(Enumerable.Range(0, 30), TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));
    }

    [Fact]
    public void State_file_holds_the_step_and_Adam_moments_that_load_back()
    {
        var dir = TestPaths.TempDir();
        var run = new RunFolder(Path.Combine(dir, "r"));
        using var trainer = new Trainer(Tiny(6, save: 100), run);
        trainer.Train();
        using var contents = PyTorchCheckpoint.Read(run.StatePath);
        Assert.Equal(5, contents.TrainStep);
        using var again = new Trainer(run.LoadConfig(), run);
        Assert.Equal(6, again.NextStep);
        var a = (TorchSharp.Modules.Adam.State)trainer.Optimizer.state_dict().State[3];
        var b = (TorchSharp.Modules.Adam.State)again.Optimizer.state_dict().State[3];
        Assert.Equal(6, b.step);
        Assert.True(a.exp_avg_sq.Same(b.exp_avg_sq));
    }

    [Fact]
    public void Every_function_class_trains_a_step()
    {
        foreach (var (task, kwargs) in new[]
                 {
                     ("linear_classification", "{}"), ("noisy_linear_regression", "{noise_std: 0.1}"), ("quadratic_regression", "{}"),
                     ("relu_2nn_regression", "{hidden_layer_size: 8}"), ("decision_tree", "{depth: 2}"),
                 })
        {
            using var t = new Trainer(Tiny(2, task: task, kwargs: kwargs), null);
            t.Train(onStep: r => Assert.True(double.IsFinite(r.Loss), task));
        }
    }

    [Fact]
    public void The_logged_pointwise_loss_is_the_tasks_metric_per_position()
    {
        // Squared error: its mean over the positions is the step's loss (both before the update).
        using (var t = new Trainer(Tiny(1), null))
        {
            var (loss, pointwise) = t.Step(pointwise: true);
            Assert.Equal(5, pointwise!.Length);
            Assert.Equal(loss, pointwise.Average(), 1e-5 * loss);
        }
        // Labels: accuracy per position (the paper logs task.get_metric()), a fraction of the 32 prompts.
        using (var t = new Trainer(Tiny(1, task: "linear_classification"), null))
        {
            var (_, pointwise) = t.Step(pointwise: true);
            Assert.Equal(5, pointwise!.Length);
            Assert.All(pointwise, a =>
            {
                Assert.InRange(a, 0, 1);
                Assert.Equal(Math.Round(a * 32), a * 32, 1e-4);
            });
        }
    }

    [Fact]
    public void Finite_training_sets_and_pools_restrict_the_data()
    {
        var config = Tiny(1) with { Training = Tiny(1).Training with { NumTrainingExamples = 40 } };
        using var data = new TrainingData(config);
        var seen = new HashSet<string>();
        for (var step = 0; step < 20; step++)
        {
            var (xs, _) = data.Batch(step);
            for (var p = 0; p < xs.shape[0]; p++) seen.Add(string.Join(",", xs[p].data<float>().ToArray()));
        }
        Assert.Equal(40, seen.Count);
    }
}
