using InContext.Training;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Training;

/// <summary>`icl train` end to end, as a user runs it.</summary>
public class TrainCommandTests
{
    const string Config = """
        model: {family: gpt2, n_dims: 3, n_positions: 7, n_embd: 16, n_layer: 1, n_head: 2}
        training:
          task: linear_regression
          batch_size: 16
          learning_rate: 0.001
          train_steps: 20
          save_every_steps: 5
          keep_every_steps: 10
          curriculum:
            dims: {start: 2, end: 3, inc: 1, interval: 10}
            points: {start: 5, end: 7, inc: 2, interval: 10}
        out_dir: runs
        wandb: {log_every_steps: 5}
        """;

    /// <summary>Writes the tiny config into a fresh folder and trains <paramref name="steps"/> steps of run <paramref name="id"/> from it, without evaluating.</summary>
    static (string dir, string config, RunFolder run, string stdout) TrainNewRun(string id, int steps)
    {
        var dir = TestPaths.TempDir();
        var config = Path.Combine(dir, "tiny.yaml");
        File.WriteAllText(config, Config);
        var (code, stdout, stderr) = Cli.Run("train", config, "--run-id", id, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-eval");
        Assert.True(code == 0, stderr);
        return (dir, config, new RunFolder(Path.Combine(dir, "runs", id)), stdout);
    }

    /// <summary>
    /// A state.pt that cannot be the run it claims to continue: without Adam's state (resuming would
    /// quietly start Adam afresh), or with a step no run reaches (negative; past int's range, which
    /// was printed as a negative step and crashed). Refused in one line naming the file and key;
    /// the folder is left as it was.
    /// </summary>
    [Theory]
    [InlineData("no Adam state", "state.pt: no optimizer_state_dict: resuming would start Adam afresh")]
    [InlineData("step past int", "state.pt: train_step: expected a whole number from 0 to 2147483646, found 1000000000000")]
    [InlineData("negative step", "state.pt: train_step: expected a whole number from 0 to 2147483646, found -5")]
    public void A_state_that_is_not_the_run_it_continues_is_refused_in_one_line(string spoiled, string says)
    {
        var (_, _, run, _) = TrainNewRun("r", 3);
        var table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(run.StatePath);
        switch (spoiled)
        {
            case "no Adam state": table.Remove("optimizer_state_dict"); break;
            case "step past int": table["train_step"] = 1_000_000_000_000L; break;
            default: table["train_step"] = -5; break;
        }
        InContext.Interop.PyTorchCheckpoint.WriteAtomically(run.StatePath, table);
        var before = File.ReadAllBytes(run.StatePath);
        var (code, stdout, stderr) = Cli.Run("train", run.Path, "--no-eval");
        Assert.True(code == 2, $"exit {code}: {stdout} {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(says, line);
        Assert.Equal(before, File.ReadAllBytes(run.StatePath));
    }

    [Fact]
    public void The_first_progress_line_waits_for_the_warm_up_before_it_estimates_the_time_left()
    {
        // The first line's estimate, from the first step's pace (JIT warm-up), said 41 minutes for a run of 10.
        var (_, _, _, stdout) = TrainNewRun("r", 30);
        var lines = stdout.Split('\n').Where(l => l.StartsWith("step ")).ToList();
        Assert.StartsWith("step 1/30 ", lines[0]);
        Assert.EndsWith("warming up, time left to follow", lines[0].TrimEnd());
        // the first estimate comes as soon as there is one: 10 warm-up steps, then 10 timed
        var estimated = lines.First(l => l.TrimEnd().EndsWith(" left"));
        Assert.StartsWith($"step {TimeLeft.WarmUpSteps + TimeLeft.MeasuredSteps}/30 ", estimated);
        Assert.Matches(@"[\d.]+ steps/s  \d\d:\d\d:\d\d left$", estimated.TrimEnd());
        Assert.StartsWith("step 30/30 ", lines[^1]);
    }

    [Fact]
    public void Trains_into_a_run_folder_resumes_it_and_evaluates_at_the_end()
    {
        var (dir, config, run, stdout) = TrainNewRun("r", 12);
        int code;
        string stderr;
        Assert.Equal(Path.Combine(dir, "runs", "r"), run.Path);           // out_dir is relative to the config's folder
        Assert.True(run.HasConfig && run.HasState && File.Exists(run.ModelPath(10)));
        Assert.NotEmpty(Directory.GetFiles(run.Path, "events.out.tfevents*"));
        Assert.Equal(new[] { 0, 5, 10, 11 }, TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp"));

        // the same command on the run folder resumes to the config's 20 steps, then evaluates and plots
        (code, stdout, stderr) = Cli.Run("train", run.Path);
        Assert.True(code == 0, stderr);
        Assert.Contains("Resuming", stdout);
        Assert.Contains("at step 12", stdout);
        Assert.Equal(new[] { 0, 5, 10, 11, 15, 19 }, TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));
        Assert.True(File.Exists(run.MetricsPath));
        Assert.True(File.Exists(Path.Combine(run.PlotsPath, "standard.png")));
        Assert.Contains("Least Squares", stdout);

        // trained further than its config said, the run's config says how far it now goes
        (code, _, stderr) = Cli.Run("train", run.Path, "--steps", "24", "--no-eval");
        Assert.True(code == 0, stderr);
        Assert.Equal(24, run.LoadConfig().Training.TrainSteps);
        Assert.Equal(new[] { 0, 5, 10, 11, 15, 19, 20, 23 }, TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));

        // asked for fewer steps than it has, it says so and trains nothing
        (code, stdout, stderr) = Cli.Run("train", run.Path, "--steps", "2", "--no-eval");
        Assert.True(code == 0, stderr);
        Assert.Contains("at step 24 of 2: nothing left to train (--steps goes further)", stdout);
        Assert.Equal(24, run.LoadConfig().Training.TrainSteps);
        Assert.Equal(new[] { 0, 5, 10, 11, 15, 19, 20, 23 }, TrainingLog.Read(run.TrainLogPath).Select(r => r.Step));
    }

    [Fact]
    public void A_config_given_for_an_existing_run_must_be_its_config()
    {
        var (dir, config, run, _) = TrainNewRun("a", 2);
        int code;
        string stdout, stderr;

        // The same config resumes it, further with --steps.
        (code, stdout, stderr) = Cli.Run("train", config, "--run-id", "a", "--steps", "3", "--no-eval");
        Assert.True(code == 0, stderr);
        Assert.Contains("Resuming", stdout);

        // Another learning rate and seed for the same run id: refused, naming what differs; the run is left as it was.
        var (saved, log) = (File.ReadAllText(run.ConfigPath), File.ReadAllText(run.TrainLogPath));
        var other = Path.Combine(dir, "other.yaml");
        File.WriteAllText(other, Config.Replace("learning_rate: 0.001", "learning_rate: 0.01"));
        (code, _, stderr) = Cli.Run("train", other, "--run-id", "a", "--seed", "4", "--no-eval");
        Assert.Equal(2, code);
        Assert.Equal($"error: {run.Path}: holds a run of another config (training.learning_rate 0.001 there, 0.01 here, training.seed 0 there, 4 here); "
                     + $"resume it as it is with `icl train {run.Path}`, or give another run id", stderr.Trim());
        Assert.Equal(saved, File.ReadAllText(run.ConfigPath));
        Assert.Equal(log, File.ReadAllText(run.TrainLogPath));
    }

    [Fact]
    public void A_bad_config_exits_2_with_one_line_naming_file_and_key()
    {
        var dir = TestPaths.TempDir();
        var config = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(config, Config.Replace("n_embd: 16", "n_embd: 15"));
        var (code, stdout, stderr) = Cli.Run("train", config);
        Assert.Equal(2, code);
        Assert.Equal($"error: {config}: model.n_embd: must be divisible by n_head (2), found 15", stderr.TrimEnd('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir, "runs")));
    }
}
