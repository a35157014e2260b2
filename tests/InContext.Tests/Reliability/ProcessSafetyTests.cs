using System.Diagnostics;
using InContext.Training;
using Xunit;
using static InContext.Tests.Reliability.Processes;
using InContext.Storage;

namespace InContext.Tests.Reliability;

/// <summary>
/// icl as a scheduler and a hostile user treat it: two processes on one run folder, Ctrl+C and
/// SIGTERM, and kill -9 at random moments. Each test runs real processes.
/// </summary>
public class ProcessSafetyTests
{
    /// <summary>Starts a long training in <paramref name="dir"/> and waits until it has logged a few steps.</summary>
    static (Process process, string run) StartLongTraining(string dir, int steps = 200_000)
    {
        var config = TrainingConfigs.Write(dir, TrainingConfigs.Tiny(steps: steps, saveEvery: 50));
        var p = Cli.Start(dir, ["train", config, "--run-id", "r"]);
        var run = Path.Combine(dir, "runs", "r");
        WaitUntil(() => File.Exists(Path.Combine(run, RunFolder.TrainLogFileName)) && File.ReadAllLines(Path.Combine(run, RunFolder.TrainLogFileName)).Length > 20 || p.HasExited, "training to start");
        if (p.HasExited) Assert.Fail($"training ended before the test could stop it: {Finish(p).stderr}");
        return (p, run);
    }

    [Fact]
    public void A_second_writer_is_refused_naming_the_holder_and_a_killed_holder_blocks_nobody()
    {
        var dir = TestPaths.TempDir();
        var (first, run) = StartLongTraining(dir);
        try
        {
            var (code, _, stderr) = Cli.RunIn(dir, ["train", "run.yaml", "--run-id", "r"]);
            Assert.Equal(2, code);
            Assert.Contains($"in use by process {first.Id} on {Environment.MachineName} (training, since", stderr.Trim());
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            (code, _, stderr) = Cli.RunIn(dir, ["eval", run, "--examples", "8"]);
            Assert.Equal(2, code);
            Assert.Contains($"in use by process {first.Id}", stderr);
            (code, _, stderr) = Cli.RunIn(dir, ["import", TestPaths.ReferenceRun, "--out", run]);
            Assert.Equal(2, code);
            Assert.Contains("in use by process", stderr);
            // the log is still one trainer's: steps in order, none twice
            var steps = File.ReadAllLines(Path.Combine(run, RunFolder.TrainLogFileName)).Skip(1).Select(l => int.Parse(l.Split(',')[0])).ToList();
            Assert.Equal(steps.Order().Distinct(), steps);
        }
        finally
        {
            first.Kill();
            first.WaitForExit();
        }
        // killed with SIGKILL, it released its lock: the next command resumes
        var (resumed, stdout, err) = Cli.RunIn(dir, ["train", "run.yaml", "--run-id", "r", "--steps", "60", "--no-eval"]);
        Assert.True(resumed == 0, err);
        Assert.Contains("Resuming", stdout);
    }

    [Theory]
    [InlineData(SIGINT, 130, "Ctrl+C")]
    [InlineData(SIGTERM, 143, "SIGTERM")]
    public void A_stop_signal_saves_the_step_and_exits_with_the_shells_code(int signal, int exitCode, string name)
    {
        LetChildrenBeInterrupted();
        var dir = TestPaths.TempDir();
        var (p, run) = StartLongTraining(dir);
        Signal(p, signal);
        int code;
        string stdout, stderr;
        try { (code, stdout, stderr) = Finish(p, 120); }
        finally { if (!p.HasExited) p.Kill(); }
        Assert.True(code == exitCode, $"exit {code}: {stderr}");
        Assert.Contains($"Stopped by {name} at step", stdout);
        var stoppedAt = int.Parse(stdout[(stdout.IndexOf("at step ", StringComparison.Ordinal) + 8)..].Split(';')[0]);
        using var contents = PyTorchCheckpoint.Read(Path.Combine(run, RunFolder.StateFileName));
        Assert.Equal(stoppedAt - 1, contents.TrainStep);   // the last step done is saved, not the last periodic save
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }

    [Fact]
    public void A_stopped_test_run_says_it_wrote_nothing_to_resume()
    {
        LetChildrenBeInterrupted();
        var dir = TestPaths.TempDir();
        var config = TrainingConfigs.Write(dir, TrainingConfigs.Tiny(steps: 200_000, saveEvery: 50));
        var p = Cli.Start(dir, ["train", config, "--test-run"]);
        int code;
        string stdout, stderr;
        try
        {
            // its first progress line says it is training (piped, progress is a line per report)
            Assert.StartsWith("step ", p.StandardOutput.ReadLine());
            Signal(p, SIGTERM);
            (code, stdout, stderr) = Finish(p, 120);
        }
        finally { if (!p.HasExited) p.Kill(); }
        Assert.True(code == 143, $"exit {code}: {stderr}");
        Assert.Matches(@"Stopped by SIGTERM at step \d+; a test run writes nothing, so there is nothing to resume\.", stdout);
        Assert.DoesNotContain("state.pt", stdout);
        Assert.False(Directory.Exists(Path.Combine(dir, "runs")));
    }

    [Fact]
    public void Killed_at_random_moments_a_run_resumes_to_the_very_same_weights() =>
        KilledAndResumed([], ["r"], seed: 20261130);

    /// <summary>
    /// The same for a pack of three seeds (runs/r/seed=S/): a kill may land between two runs' saves
    /// of one step, leaving them at different steps; the resumed pack carries those ahead along
    /// until the others reach them, so every run still ends bit for bit where it would have.
    /// </summary>
    [Fact]
    public void Killed_at_random_moments_a_pack_resumes_every_run_to_the_very_same_weights() =>
        KilledAndResumed(["--seeds", "0,1,2"], ["r/seed=0", "r/seed=1", "r/seed=2"], seed: 20261204);

    /// <summary>
    /// 20 trials of kill -9 after a random delay (seeded), each followed by the same command to the
    /// end; every one must end with the uninterrupted run's weights, log and kept models, bit for bit,
    /// in every run folder. About a minute on a quiet 2-core machine (each trial is two short processes).
    /// </summary>
    static void KilledAndResumed(string[] extra, string[] runs, int seed)
    {
        const int steps = 30;
        string[] command = ["train", "run.yaml", "--run-id", "r", "--no-eval", .. extra];
        var reference = TestPaths.TempDir();
        var config = TrainingConfigs.Tiny(steps: steps, saveEvery: 4, keepEvery: 10, batch: 16);
        TrainingConfigs.Write(reference, config);
        var (code, _, stderr) = Cli.RunIn(reference, command);
        Assert.True(code == 0, stderr);
        string Everything(string dir) => string.Join("\n", runs.Select(r => Path.Combine(dir, "runs", r)).Select(run =>
            $"{run}:\n{Weights(Path.Combine(run, RunFolder.StateFileName))}\n{string.Join("\n", LogWithoutSeconds(run))}\n{string.Join("\n", Kept(run))}"))
            .Replace(dir, "DIR");
        var expected = Everything(reference);
        Assert.Equal(2 * runs.Length, runs.Sum(r => Kept(Path.Combine(reference, "runs", r)).Count));   // steps 10 and 20 of 0..29

        var random = new Random(seed);
        for (var trial = 0; trial < 20; trial++)
        {
            var dir = TestPaths.TempDir();
            TrainingConfigs.Write(dir, config);
            var p = Cli.Start(dir, command);
            Thread.Sleep(TimeSpan.FromSeconds(0.2 + 1.6 * random.NextDouble()));
            if (!p.HasExited) Signal(p, SIGKILL);
            p.WaitForExit();
            var (again, _, err) = Cli.RunIn(dir, command);
            Assert.True(again == 0, $"trial {trial}: resume failed: {err}");
            Assert.Equal(expected, Everything(dir));
            foreach (var r in runs) Assert.Empty(Directory.GetFiles(Path.Combine(dir, "runs", r), "*.tmp"));
        }
    }

    [Fact]
    public void The_next_writer_removes_what_a_killed_writer_left_half_written()
    {
        // kill -9 inside AtomicFile.Write leaves its .tmp: the next process to take the folder
        // removes those of the files written under its lock; another's (a figure written into the
        // folder, perhaps right now) and a link someone put there on purpose stay.
        var dir = TestPaths.TempDir();
        var config = TrainingConfigs.Write(dir, TrainingConfigs.Tiny(steps: 4, saveEvery: 2));
        var run = Path.Combine(dir, "runs", "r");
        Directory.CreateDirectory(run);
        // files this run will not write again (it keeps no models and evaluates nothing)
        File.WriteAllBytes(Path.Combine(run, "model_20.pt.tmp"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(run, "metrics.json.tmp"), "{\"lin");
        File.WriteAllBytes(Path.Combine(run, "figure.png.tmp"), [4, 5]);
        File.CreateSymbolicLink(Path.Combine(run, "metrics_7.json.tmp"), "/dev/null");
        var (code, _, stderr) = Cli.RunIn(dir, ["train", config, "--run-id", "r", "--no-eval"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["figure.png.tmp", "metrics_7.json.tmp"], Directory.GetFiles(run, "*.tmp").Select(Path.GetFileName).Order());
    }

    /// <summary>The kept <c>model_&lt;step&gt;.pt</c> files of a run folder, each by its <see cref="Weights"/>.</summary>
    static List<string> Kept(string run) =>
        new RunFolder(run).KeptSteps().Select(s => $"model_{s}.pt: " + Weights(Path.Combine(run, $"model_{s}.pt"))).ToList();

    /// <summary>Every tensor of a checkpoint's model by name and the hash of its bytes, and the step.</summary>
    static string Weights(string path)
    {
        using var contents = PyTorchCheckpoint.Read(path);
        return $"step {contents.TrainStep}\n" + string.Join("\n", contents.Model.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(kv.Value.contiguous().bytes))));
    }
}
