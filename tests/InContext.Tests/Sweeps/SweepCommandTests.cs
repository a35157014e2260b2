using InContext.Sweeps;
using InContext.Training;
using Xunit;
using static InContext.Tests.Reliability.Processes;
using InContext.Storage;

namespace InContext.Tests.Sweeps;

/// <summary><c>icl sweep</c> as a user runs it on one machine.</summary>
public class SweepCommandTests
{
    [Fact]
    public void A_local_sweep_resumes_a_started_run_trains_the_rest_evaluates_each_once_and_reports_a_failed_one()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid:\n  training.seed: [1, 2, 3]\n");
        var folder = Path.Combine(dir, "out", "sweep");
        string Run(string id) => Path.Combine(folder, id);

        // without --local or --slurm: the folders are prepared and the runs listed
        var (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml"]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"Sweep sweep: 3 runs in {folder}", stdout);
        Assert.Contains("  seed=2\n", stdout);
        Assert.True(File.Exists(Path.Combine(Run("seed=3"), RunFolder.ConfigFileName)));

        // one run trained part way by hand, one broken: the sweep resumes the first and goes on past the second
        (code, _, stderr) = Cli.RunIn(dir, ["train", Run("seed=1"), "--steps", "8", "--no-eval"]);
        Assert.True(code == 0, stderr);
        File.WriteAllText(Path.Combine(Run("seed=3"), RunFolder.StateFileName), "not a checkpoint");
        (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--local", "--jobs", "2"]);
        Assert.True(code == 4, $"exit {code}: {stdout}\n{stderr}");
        var threads = Math.Max(1, Environment.ProcessorCount / 2);
        // the seeds 1 and 2 train as one pack (seed 1 rides along until seed 2 reaches its step 8); seed 3, unreadable, on its own
        Assert.Contains($"3 runs to do in 2 commands (the seeds of a config train as one pack), 2 at a time, {threads} thread{(threads == 1 ? "" : "s")} each on cpu", stdout);
        Assert.Contains("resume   seed=1, seed=2 packed (seed=1 at step 8, seed=2 at step 0, of 20 steps)", stdout);
        Assert.Contains("train    seed=3 (20 steps)", stdout);
        Assert.Contains("done     seed=1: 20/20 steps, loss ", stdout);
        Assert.Contains("done     seed=2: 20/20 steps, loss ", stdout);
        Assert.Contains($"FAILED   seed=3: error: {Path.Combine(Run("seed=3"), RunFolder.StateFileName)}: not a PyTorch checkpoint", stdout);
        Assert.Contains("2 of 3 runs evaluated, 1 failed", stdout);
        Assert.Equal(Enumerable.Range(0, 20), TrainingLog.Read(Path.Combine(Run("seed=1"), RunFolder.TrainLogFileName)).Select(r => r.Step));
        var log = File.ReadAllText(Path.Combine(Run("seed=1"), SweepFolder.LogFileName));
        Assert.Contains($"icl train {Run("seed=1")} {Run("seed=2")} ({threads} thread", log);
        Assert.Contains("Resuming", log);
        Assert.Contains("Wrote", log);   // the evaluation's output
        Assert.StartsWith("error: ", File.ReadAllText(Path.Combine(Run("seed=3"), RunFolder.ErrorFileName)));
        Assert.False(File.Exists(Path.Combine(Run("seed=1"), RunFolder.ErrorFileName)));

        // status: one line per run
        (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "status", folder]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^seed=1  20/20  +\d+\.\d{4}  evaluated$", lines[1]);
        Assert.Matches(@"^seed=2  20/20  +\d+\.\d{4}  evaluated$", lines[2]);
        Assert.Matches(@"^seed=3   0/20  +-  failed: error: .*state\.pt: not a PyTorch checkpoint", lines[3]);
        Assert.Equal("3 runs: 2 evaluated, 1 failed, 0 to do", lines[4]);

        // run again: the evaluated runs are left as they are, the failed one is tried again
        var before = File.GetLastWriteTimeUtc(Path.Combine(Run("seed=2"), RunFolder.MetricsFileName));
        (code, stdout, _) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--local", "--jobs", "2"]);
        Assert.Equal(4, code);
        Assert.Contains("done     seed=1: evaluated", stdout);
        Assert.Contains("done     seed=2: evaluated", stdout);
        Assert.Contains("1 run to do", stdout);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(Run("seed=2"), RunFolder.MetricsFileName)));
        Assert.Equal(log, File.ReadAllText(Path.Combine(Run("seed=1"), SweepFolder.LogFileName)));

        // the report of the sweep's folder: its evaluated runs side by side
        (code, stdout, stderr) = Cli.RunIn(dir, ["report", folder, "--out", "report.html"]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"note: {folder}: 1 run not evaluated yet, left out: seed=3", stderr);
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("InContext report: seed=1, seed=2<", html);
    }

    /// <summary>The steps run <paramref name="id"/> of the sweep in <paramref name="folder"/> has logged.</summary>
    static int Logged(string folder, string id) => File.Exists(Path.Combine(folder, id, RunFolder.TrainLogFileName))
        ? File.ReadAllLines(Path.Combine(folder, id, RunFolder.TrainLogFileName)).Length - 1 : 0;

    /// <summary>
    /// Starts <c>icl sweep sweep.yaml --local --jobs N</c> in <paramref name="dir"/>, sends it SIGTERM once
    /// <paramref name="ready"/> holds, and returns how it ended; fails if it has not ended a minute later.
    /// </summary>
    static (int code, string stdout, string stderr) TerminateLocalSweep(string dir, int jobs, Func<bool> ready, string what)
    {
        var p = Cli.Start(dir, ["sweep", "sweep.yaml", "--local", "--jobs", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        try
        {
            WaitUntil(() => ready() || p.HasExited, what, 120);
            Signal(p, SIGTERM);
            return Finish(p, 60);
        }
        finally { if (!p.HasExited) p.Kill(entireProcessTree: true); }
    }

    [Fact]
    public void SIGTERM_stops_a_local_sweep_and_each_of_its_runs_saves_its_step()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid:\n  training.seed: [1, 2]\n", SweepFiles.Base(steps: 100_000, saveEvery: 10_000));
        var folder = Path.Combine(dir, "out", "sweep");
        var (code, stdout, stderr) = TerminateLocalSweep(dir, jobs: 2, () => Logged(folder, "seed=1") >= 20 && Logged(folder, "seed=2") >= 20, "both runs to train 20 steps");
        Assert.True(code == 143, $"exit {code}: {stdout}\n{stderr}");
        Assert.Matches(@"stopped  seed=1: at step [1-9]\d* \(rerun the sweep to resume it\)", stdout);
        Assert.Matches(@"stopped  seed=2: at step [1-9]\d* ", stdout);
        Assert.Contains("0 of 2 runs evaluated, 2 to resume (run the same command)", stdout);
        // each run's state holds the step it stopped at, and no process holds its folder any more
        foreach (var id in new[] { "seed=1", "seed=2" })
        {
            var progress = RunProgress.Of(new RunFolder(Path.Combine(folder, id)));
            Assert.True(progress.StepsDone >= 20 && progress.Holder is null && !progress.Failed, progress.ToString());
            using var free = RunLock.Acquire(Path.Combine(folder, id), "test");
        }
        (code, stdout, _) = Cli.RunIn(dir, ["sweep", "status", folder]);
        Assert.Matches(@"\nseed=1 +[1-9]\d*/100000 +\d+\.\d{4}  stopped \(resumes when run again\)\n", stdout);
    }

    [Fact]
    public void SIGTERM_ends_a_local_sweep_with_runs_still_queued_and_the_same_command_finishes_them()
    {
        // Before, a stopped sweep never started its queued runs yet kept waiting for them, spinning
        // at 100% CPU for ever after its runs in progress had saved and stopped. Two configs (not
        // two seeds, which would train as one pack), one at a time: the second is queued.
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid:\n  wandb.notes: [first, second]\n", SweepFiles.Base(steps: 300, saveEvery: 100));
        var folder = Path.Combine(dir, "out", "sweep");
        var (code, stdout, stderr) = TerminateLocalSweep(dir, jobs: 1, () => Logged(folder, "notes=first") >= 20, "the first run to train 20 steps");
        Assert.True(code == 143, $"exit {code}: {stdout}\n{stderr}");
        Assert.DoesNotContain("notes=second (", stdout);   // the queued run was not started
        Assert.Contains("0 of 2 runs evaluated, 2 to resume (run the same command)", stdout);

        (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--local", "--jobs", "1"]);
        Assert.True(code == 0, $"exit {code}: {stdout}\n{stderr}");
        Assert.Matches(@"resume   notes=first at step [1-9]\d* of 300|evaluate notes=first", stdout);
        Assert.Contains("train    notes=second (300 steps)", stdout);
        Assert.Contains("2 of 2 runs evaluated", stdout);
    }

    [Fact]
    public void The_commands_it_prints_name_the_sweep_folder_it_was_given_quoted_for_the_shell()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [1]}\n");

        // the hint to train keeps --out: without it, the command would prepare and train ./out/sweep instead
        var (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--out", "elsewhere"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Train them here with `icl sweep sweep.yaml --out elsewhere --local`", stdout);
        (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--out", "my runs"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("Train them here with `icl sweep sweep.yaml --out 'my runs' --local`", stdout);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        // the summary of --local (here a run that fails at once) names the folder as one shell word
        var folder = Path.Combine(dir, "my runs", "sweep");
        File.WriteAllText(Path.Combine(folder, "seed=1", RunFolder.StateFileName), "not a checkpoint");
        (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--out", "my runs", "--local"]);
        Assert.True(code == 4, $"exit {code}: {stdout}\n{stderr}");
        Assert.Contains($"`icl sweep status {Shell.Quote(folder)}` shows each, `icl report {Shell.Quote(folder)}` compares them", stdout);
    }

    [Fact]
    public void A_report_leaves_out_and_names_the_folders_not_evaluated_yet_and_refuses_only_when_none_is()
    {
        var dir = TestPaths.TempDir();
        // an evaluated run (made-up metrics), a run folder never trained, and a sweep none of whose runs is
        var done = Directory.CreateDirectory(Path.Combine(dir, "done")).FullName;
        File.WriteAllText(Path.Combine(done, RunFolder.ConfigFileName), Reliability.Corpus.TinyConfig);
        using (var made = new Reports.SyntheticRun(nDims: 3, positions: 6))
            foreach (var f in new[] { made.MetricsPath, made.TrainLogPath }) File.Copy(f, Path.Combine(done, Path.GetFileName(f)));
        var fresh = Directory.CreateDirectory(Path.Combine(dir, "fresh")).FullName;
        File.WriteAllText(Path.Combine(fresh, RunFolder.ConfigFileName), Reliability.Corpus.TinyConfig);
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [1, 2]}\n");
        var (code, _, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml"]);
        Assert.True(code == 0, stderr);
        var sweep = Path.Combine("out", "sweep");

        // the evaluated run is reported; the others are named as left out (this used to refuse the whole report)
        (code, var stdout, stderr) = Cli.RunIn(dir, ["report", "done", "fresh", sweep, "--out", "r.html"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("note: fresh: not evaluated yet (no metrics.json); left out\n", stderr);
        Assert.Contains($"note: {sweep}: no run of the sweep has been evaluated yet", stderr);
        Assert.Contains("InContext report: done<", File.ReadAllText(Path.Combine(dir, "r.html")));
        Assert.EndsWith("r.html\n", stdout);

        // none evaluated: one line, exit 2, nothing written
        File.Delete(Path.Combine(dir, "r.html"));
        (code, stdout, stderr) = Cli.RunIn(dir, ["report", "fresh", sweep, "--out", "r.html"]);
        Assert.Equal(2, code);
        Assert.Equal($"error: nothing to report, no folder given has an evaluated run: fresh: not evaluated yet (no metrics.json); {sweep}: no run of the sweep", stderr[..(stderr.IndexOf(" has been evaluated yet"))]);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(stdout);
        Assert.False(File.Exists(Path.Combine(dir, "r.html")));

        // a folder that is not a run is still refused, beside an evaluated one
        (code, _, stderr) = Cli.RunIn(dir, ["report", "done", "nowhere", "--out", "r.html"]);
        Assert.Equal(2, code);
        Assert.Contains("nowhere: run folder not found", stderr);
    }

    [Fact]
    public void Help_for_status_shows_the_form_that_works_and_the_sweeps_own_help_its_file()
    {
        // System.CommandLine wrote the parent's argument into the usage: icl sweep <sweep-file> status <sweep-dir>
        var (code, stdout, stderr) = Cli.Run("sweep", "status", "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains("\n  icl sweep status <sweep-dir> [options]\n", stdout);
        Assert.DoesNotContain("sweep-file", stdout);
        (code, stdout, stderr) = Cli.Run("sweep", "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains("\n  icl sweep <sweep-file> [command] [options]\n", stdout);
        Assert.Contains("\n  <sweep-file>  The sweep:", stdout);
    }

    [Fact]
    public void Bad_sweeps_and_options_are_refused_one_line_each_with_nothing_written()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid:\n  training.sed: [1]\n  model.n_head: [2, 3]\n", name: "bad.yaml");
        var (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "bad.yaml", "--local"]);
        Assert.Equal(2, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"error: {Path.Combine(dir, "bad.yaml")}: grid.training.sed: unknown key", lines[0]);
        Assert.EndsWith("did you mean training.seed?", lines[0]);
        // n_embd is written in base.yaml, which the line names after the grid value that breaks it.
        Assert.Equal($"error: {Path.Combine(dir, "bad.yaml")}: grid.model.n_head = 3 (every run with it): {Path.Combine(dir, "base.yaml")}: model.n_embd: must be divisible by n_head (3), found 16", lines[1]);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [1, 2]}\n");
        foreach (var (args, error) in new (string[], string)[]
                 {
                     (["sweep", "sweep.yaml", "--jobs", "2"], "error: --jobs applies to --local"),
                     (["sweep", "sweep.yaml", "--local", "--time", "10"], "error: --time applies to --slurm"),
                     (["sweep", "sweep.yaml", "--local", "--slurm"], "error: --local and --slurm: choose one"),
                     (["sweep", "sweep.yaml", "--local", "--jobs", "0"], "error: --jobs 0: must be at least 1"),
                     (["sweep", "sweep.yaml", "--slurm", "--time", "1 day"], "error: --time '1 day': expected a Slurm time limit"),
                     (["sweep", "sweep.yaml", "--slurm", "--gpus-per-task", "1"], "error: --device cpu: the tasks would hold GPUs they do not use"),
                     (["sweep", "status", dir], $"error: {dir}: not a sweep folder (no runs.txt"),
                     (["train", "base.yaml", "--threads", "0", "--test-run"], "error: --threads 0: must be at least 1"),
                 })
        {
            (code, _, stderr) = Cli.RunIn(dir, args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {stderr}");
            Assert.StartsWith(error, stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void A_dry_run_prints_the_batch_script_that_calls_this_icl_and_writes_nothing()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\nslurm: {time: '30', max_parallel: 1}\ngrid: {training.seed: [1, 2]}\n");
        var (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--slurm", "--dry-run", "--partition", "short"]);
        Assert.True(code == 0, stderr);
        // the dotnet host that ran icl and icl.dll, both by absolute paths
        Assert.Matches($@"\nICL=\('/[^']*/dotnet' '{System.Text.RegularExpressions.Regex.Escape(Path.Combine(AppContext.BaseDirectory, "icl.dll"))}'\)\n", stdout);
        Assert.Contains("#SBATCH --array=0-0%1\n", stdout);      // the file's max_parallel; the two seeds are one pack, one task
        Assert.Contains("  'seed=1 seed=2'\n", stdout);
        Assert.Contains("#SBATCH --time=30\n", stdout);          // the file's time
        Assert.Contains("#SBATCH --partition=short\n", stdout);  // an option over the file
        Assert.Contains($"RUNS+=('{Path.Combine(dir, "out", "sweep")}'/\"$id\")", stdout);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    /// <summary>
    /// An array task of the batch script, run by bash as Slurm would run it (the array's ids in the
    /// environment), trains its pack of seeds as one and evaluates them; `icl sweep status` then
    /// finds both runs evaluated.
    /// </summary>
    [Fact]
    public void A_batch_scripts_task_trains_its_pack_of_seeds_and_evaluates_them()
    {
        var dir = TestPaths.TempDir();
        SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [1, 2]}\n");
        var (code, script, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--slurm", "--dry-run"]);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml"]);   // the folder, as a submission prepares it
        Assert.True(code == 0, stderr);
        var folder = Path.Combine(dir, "out", "sweep");
        var path = Path.Combine(folder, "slurm", "task.sh");
        File.WriteAllText(path, script);
        var start = new System.Diagnostics.ProcessStartInfo("bash", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SLURM_ARRAY_JOB_ID"] = "7";
        start.Environment["SLURM_ARRAY_TASK_ID"] = "0";
        using var task = System.Diagnostics.Process.Start(start)!;
        var output = task.StandardOutput.ReadToEndAsync();
        var errors = task.StandardError.ReadToEndAsync();
        Assert.True(task.WaitForExit(300_000), "the task did not finish");
        Assert.True(task.ExitCode == 0, $"exit {task.ExitCode}: {output.Result}\n{errors.Result}");
        Assert.Contains("2 seeds packed (1, 2)", output.Result);
        (code, var status, _) = Cli.RunIn(dir, ["sweep", "status", folder]);
        Assert.Contains("2 runs: 2 evaluated, 0 failed, 0 to do", status);
    }
}
