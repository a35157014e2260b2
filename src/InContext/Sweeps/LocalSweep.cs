using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using InContext.Config;
using InContext.Storage;
using InContext.Training;

namespace InContext.Sweeps;

/// <summary>How a local sweep runs: runs at a time, the cores they share, the device they train on.</summary>
public sealed record LocalSweepOptions(int Jobs, int Cores, string Device = "cpu")
{
    /// <summary>Threads each run gets: the cores split evenly, at least one.</summary>
    public int ThreadsPerRun => Math.Max(1, Cores / Math.Max(1, Jobs));
}

/// <summary>What a local sweep did: runs evaluated now, found evaluated, failed, stopped by a signal, not started, and left alone because another process holds them.</summary>
public sealed record LocalSweepResult(int Evaluated, int AlreadyEvaluated, int Failed, int Stopped, int NotRun, int Busy);

/// <summary>
/// Runs a sweep on this machine: each run not yet evaluated is trained (a started run resumes
/// from its <c>state.pt</c>) and then evaluated, each command a separate icl process, at most
/// <see cref="LocalSweepOptions.Jobs"/> commands at once with the cores split between them (each
/// process gets <see cref="LocalSweepOptions.ThreadsPerRun"/> threads: <c>--threads</c>,
/// <c>OMP_NUM_THREADS</c> and <c>DOTNET_PROCESSOR_COUNT</c>), so none oversubscribes the machine.
/// The runs that differ only in their seed (the seed axis of a grid) train as one pack, one
/// process for all (<see cref="SeedPacks"/>), and are evaluated in one pass; a run whose folder
/// has a problem (an unreadable state, a failure before) is tried on its own.
/// A command's output goes to each of its runs' <c>icl.log</c>, a failure's error line to their
/// <c>error.txt</c>. Stopping the sweep (the token) sends SIGTERM to the commands in progress: each
/// saves its state and exits, and the same command later resumes them.
/// </summary>
public static partial class LocalSweep
{
    const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    sealed class Job(IReadOnlyList<RunFolder> runs, string stage, Process process, StringBuilder errors, IReadOnlyList<StreamWriter> logs)
    {
        public IReadOnlyList<RunFolder> Runs { get; } = runs;
        public string Stage { get; } = stage;
        public Process Process { get; } = process;
        public StringBuilder Errors { get; } = errors;
        public IReadOnlyList<StreamWriter> Logs { get; } = logs;
    }

    /// <summary>Trains, then evaluates, every run of the sweep not evaluated yet, several at once; returns the counts of what happened.</summary>
    /// <param name="sweep">The sweep's folder; it is locked for the sweep's duration.</param>
    /// <param name="icl">How to start icl (the program and its leading arguments).</param>
    /// <param name="options">Commands at a time, cores and device.</param>
    /// <param name="report">Receives one line per event: the plan, and each run started, done, stopped, failed or left alone.</param>
    /// <param name="cancel">Stops the sweep: the commands in progress get SIGTERM, save and exit.</param>
    public static LocalSweepResult Run(SweepFolder sweep, IclProgram icl, LocalSweepOptions options, Action<string> report, CancellationToken cancel = default)
    {
        if (options.Jobs < 1) throw new ParameterException("jobs", $"{options.Jobs}: must be at least 1");
        // One local sweep per folder at a time (each run's own lock guards it against everything else).
        using var hold = RunLock.Acquire(sweep.Path, "icl sweep --local");
        var threads = options.ThreadsPerRun;
        var todo = new List<RunProgress>();
        int evaluated = 0, already = 0, failed = 0, stopped = 0, busy = 0;
        foreach (var progress in sweep.Status())
        {
            if (progress.Evaluated) { already++; report($"done     {progress.Id}: evaluated"); continue; }
            if (progress.Holder is { } holder) { busy++; report($"busy     {progress.Id}: in use by {holder}; left alone"); continue; }
            todo.Add(progress);
        }
        var pending = new Queue<IReadOnlyList<RunFolder>>(Packs(sweep, todo));
        if (todo.Count > 0)
            report($"{todo.Count} run{(todo.Count == 1 ? "" : "s")} to do{(pending.Count < todo.Count ? $" in {pending.Count} command{(pending.Count == 1 ? "" : "s")} (the seeds of a config train as one pack)" : "")}, {Math.Min(options.Jobs, pending.Count)} at a time, {threads} thread{(threads == 1 ? "" : "s")} each on {options.Device}"
                   + (options.Jobs * threads > options.Cores ? $" (more commands than the {options.Cores} cores: they share them)" : ""));

        var active = new List<Job>();
        var clocks = new Dictionary<string, Stopwatch>();
        var signalled = false;
        try
        {
            // Once stopped, queued commands are never started: wait only for those running.
            while (active.Count > 0 || pending.Count > 0 && !cancel.IsCancellationRequested)
            {
                while (!cancel.IsCancellationRequested && active.Count < options.Jobs && pending.Count > 0)
                {
                    var runs = pending.Dequeue();
                    var progress = runs.Select(r => RunProgress.Of(r)).ToList();
                    foreach (var r in runs) clocks[r.Path] = Stopwatch.StartNew();
                    if (progress.All(p => p.Trained)) active.Add(Start(icl, runs, "eval", options.Device, threads, report, "evaluate", ""));
                    else active.Add(Start(icl, runs, "train", options.Device, threads, report, progress.Any(p => p.StepsDone > 0) ? "resume" : "train",
                        runs.Count == 1
                            ? progress[0].StepsDone > 0 ? $" at step {progress[0].StepsDone} of {progress[0].TotalSteps}" : $" ({progress[0].TotalSteps} steps)"
                            : $" packed ({string.Join(", ", progress.GroupBy(p => p.StepsDone).Select(g => $"{string.Join(", ", g.Select(p => p.Id))} at step {g.Key}"))}, of {progress[0].TotalSteps} steps)"));
                }
                if (cancel.IsCancellationRequested && !signalled)
                {
                    signalled = true;
                    foreach (var job in active) Terminate(job.Process);
                }
                var done = active.FirstOrDefault(j => j.Process.HasExited);
                if (done is null) { cancel.WaitHandle.WaitOne(100); if (cancel.IsCancellationRequested && active.Count > 0) Thread.Sleep(50); continue; }
                active.Remove(done);
                done.Process.WaitForExit();   // the output to its end
                var code = done.Process.ExitCode;
                foreach (var log in done.Logs) log.Dispose();
                done.Process.Dispose();
                if (code is 130 or 143)
                {
                    foreach (var run in done.Runs)
                    {
                        stopped++;
                        report($"stopped  {run.Name}: at step {RunProgress.Of(run).StepsDone} (rerun the sweep to resume it)");
                    }
                    continue;
                }
                // A pack that exits 3 trained every run but those that diverged (each says so in its error.txt).
                var finished = code == 0 ? done.Runs.ToList()
                    : done.Stage == "train" && code == 3 ? done.Runs.Where(r => RunProgress.Of(r) is { Trained: true }).ToList() : [];
                foreach (var run in done.Runs.Except(finished))
                {
                    failed++;
                    var errorPath = run.ErrorPath;
                    var text = done.Errors.ToString().Trim();
                    if (!(code == 3 && File.Exists(errorPath)))
                        AtomicFile.WriteAllText(errorPath, (text.Length > 0 ? text : $"error: icl {done.Stage} exited with code {code}") + "\n");
                    report($"FAILED   {run.Name}: {RunProgress.Of(run).Error} (icl {done.Stage}, exit {code}; its output: {Path.Combine(run.Path, SweepFolder.LogFileName)})");
                }
                if (finished.Count == 0) continue;
                foreach (var run in finished) if (File.Exists(run.ErrorPath)) File.Delete(run.ErrorPath);
                if (done.Stage == "train")
                {
                    if (!cancel.IsCancellationRequested) active.Add(Start(icl, finished, "eval", options.Device, threads, report, "evaluate", ""));
                    else stopped += finished.Count;
                    continue;
                }
                foreach (var run in finished)
                {
                    evaluated++;
                    var p = RunProgress.Of(run);
                    report($"done     {run.Name}: {p.StepsDone}/{p.TotalSteps} steps, loss {Loss(p.LastLoss)}, evaluated ({Elapsed(clocks[run.Path].Elapsed)})");
                }
            }
        }
        finally
        {
            // An exception here (a full disk) must not leave runs behind: stop them as a signal would.
            foreach (var job in active)
            {
                Terminate(job.Process);
                job.Process.WaitForExit();
                foreach (var log in job.Logs) log.Dispose();
            }
        }
        return new LocalSweepResult(evaluated, already, failed, stopped, pending.Sum(p => p.Count), busy);
    }

    /// <summary>
    /// The runs to do as commands: those that differ only in their seed together (a pack, in the
    /// order of the sweep), every run with a problem on its own (so that one bad folder does not
    /// hold back its pack).
    /// </summary>
    static IEnumerable<IReadOnlyList<RunFolder>> Packs(SweepFolder sweep, IReadOnlyList<RunProgress> todo)
    {
        var sound = new List<(RunConfig Config, RunFolder Run)>();
        foreach (var p in todo)
        {
            var run = sweep.Run(p.Id);
            if (p.Error is null && run.HasConfig) sound.Add((run.LoadConfig(), run));
            else yield return [run];
        }
        foreach (var pack in SeedPacks.Group(sound)) yield return pack;
    }

    static Job Start(IclProgram icl, IReadOnlyList<RunFolder> runs, string stage, string device, int threads, Action<string> report, string verb, string detail)
    {
        var start = new ProcessStartInfo(icl.FileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = runs[0].Path,
        };
        foreach (var a in icl.LeadingArguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add(stage);
        foreach (var run in runs) start.ArgumentList.Add(run.Path);
        if (stage == "train") start.ArgumentList.Add("--no-eval");
        foreach (var a in new[] { "--device", device, "--threads", threads.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        var n = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = n;
        start.Environment["MKL_NUM_THREADS"] = n;
        start.Environment["DOTNET_PROCESSOR_COUNT"] = n;

        var logs = new List<StreamWriter>();
        foreach (var run in runs)
        {
            Directory.CreateDirectory(run.Path);
            var logPath = Path.Combine(run.Path, SweepFolder.LogFileName);
            try { logs.Add(new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true }); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                foreach (var l in logs) l.Dispose();
                throw AtomicFile.StorageError(logPath, e);
            }
        }
        void Log(string line) { lock (logs) foreach (var l in logs) l.WriteLine(line); }
        Log($"== {DateTime.Now:yyyy-MM-dd HH:mm:ss} icl {stage} {string.Join(" ", runs.Select(r => r.Path))} ({threads} thread{(threads == 1 ? "" : "s")})");
        var errors = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) Log(line); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            Log(line);
            lock (errors) errors.AppendLine(line);
        };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            foreach (var l in logs) l.Dispose();
            throw new InputException($"{icl.FileName}: cannot start icl ({e.Message})");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var names = string.Join(", ", runs.Select(r => r.Name));
        report($"{verb,-8} {names}{detail} (output: {Path.Combine(runs[0].Path, SweepFolder.LogFileName)}{(runs.Count > 1 ? " and each run's" : "")})");
        return new Job(runs, stage, process, errors, logs);
    }

    static void Terminate(Process process)
    {
        try
        {
            if (process.HasExited) return;
            if (OperatingSystem.IsWindows()) process.Kill();
            else Kill(process.Id, SIGTERM);
        }
        catch (InvalidOperationException) { }
    }

    static string Loss(double? loss) => loss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "-";

    static string Elapsed(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{t.TotalSeconds:F1}s";
}
