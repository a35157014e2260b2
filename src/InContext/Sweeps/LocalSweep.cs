using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using InContext.Storage;

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
/// <see cref="LocalSweepOptions.Jobs"/> runs at once with the cores split between them (each
/// process gets <see cref="LocalSweepOptions.ThreadsPerRun"/> threads: <c>--threads</c>,
/// <c>OMP_NUM_THREADS</c> and <c>DOTNET_PROCESSOR_COUNT</c>), so none oversubscribes the machine.
/// A run's output goes to its <c>icl.log</c>, a failure's error line to its <c>error.txt</c>.
/// Stopping the sweep (the token) sends SIGTERM to the runs in progress: each saves its state
/// and exits, and the same command later resumes them.
/// </summary>
public static partial class LocalSweep
{
    const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    sealed class Job(RunFolder run, string stage, Process process, StringBuilder errors, StreamWriter log)
    {
        public RunFolder Run { get; } = run;
        public string Stage { get; } = stage;
        public Process Process { get; } = process;
        public StringBuilder Errors { get; } = errors;
        public StreamWriter Log { get; } = log;
    }

    /// <summary>Trains, then evaluates, every run of the sweep not evaluated yet, several at once; returns the counts of what happened.</summary>
    /// <param name="sweep">The sweep's folder; it is locked for the sweep's duration.</param>
    /// <param name="icl">How to start icl (the program and its leading arguments).</param>
    /// <param name="options">Runs at a time, cores and device.</param>
    /// <param name="report">Receives one line per event: the plan, and each run started, done, stopped, failed or left alone.</param>
    /// <param name="cancel">Stops the sweep: the runs in progress get SIGTERM, save and exit.</param>
    public static LocalSweepResult Run(SweepFolder sweep, IclProgram icl, LocalSweepOptions options, Action<string> report, CancellationToken cancel = default)
    {
        if (options.Jobs < 1) throw new ParameterException("jobs", $"{options.Jobs}: must be at least 1");
        // One local sweep per folder at a time (each run's own lock guards it against everything else).
        using var hold = RunLock.Acquire(sweep.Path, "icl sweep --local");
        var threads = options.ThreadsPerRun;
        var pending = new Queue<RunFolder>();
        int evaluated = 0, already = 0, failed = 0, stopped = 0, busy = 0;
        foreach (var progress in sweep.Status())
        {
            if (progress.Evaluated) { already++; report($"done     {progress.Id}: evaluated"); continue; }
            if (progress.Holder is { } holder) { busy++; report($"busy     {progress.Id}: in use by {holder}; left alone"); continue; }
            pending.Enqueue(sweep.Run(progress.Id));
        }
        if (pending.Count > 0)
            report($"{pending.Count} run{(pending.Count == 1 ? "" : "s")} to do, {Math.Min(options.Jobs, pending.Count)} at a time, {threads} thread{(threads == 1 ? "" : "s")} each on {options.Device}"
                   + (options.Jobs * threads > options.Cores ? $" (more runs than the {options.Cores} cores: they share them)" : ""));

        var active = new List<Job>();
        var clocks = new Dictionary<string, Stopwatch>();
        var signalled = false;
        try
        {
            while (pending.Count > 0 || active.Count > 0)
            {
                while (!cancel.IsCancellationRequested && active.Count < options.Jobs && pending.Count > 0)
                {
                    var run = pending.Dequeue();
                    var progress = RunProgress.Of(run);
                    clocks[run.Path] = Stopwatch.StartNew();
                    if (progress.Trained) active.Add(Start(icl, run, "eval", options.Device, threads, report, "evaluate", ""));
                    else active.Add(Start(icl, run, "train", options.Device, threads, report, progress.StepsDone > 0 ? "resume" : "train",
                        progress.StepsDone > 0 ? $" at step {progress.StepsDone} of {progress.TotalSteps}" : $" ({progress.TotalSteps} steps)"));
                }
                if (cancel.IsCancellationRequested && !signalled)
                {
                    signalled = true;
                    foreach (var job in active) Terminate(job.Process);
                }
                var done = active.FirstOrDefault(j => j.Process.HasExited);
                if (done is null) { cancel.WaitHandle.WaitOne(100); continue; }
                active.Remove(done);
                done.Process.WaitForExit();   // the output to its end
                var code = done.Process.ExitCode;
                done.Log.Dispose();
                done.Process.Dispose();
                var run2 = done.Run;
                var errorPath = Path.Combine(run2.Path, RunFolder.ErrorFileName);
                if (code == 0)
                {
                    if (File.Exists(errorPath)) File.Delete(errorPath);
                    if (done.Stage == "train" && !cancel.IsCancellationRequested)
                    {
                        active.Add(Start(icl, run2, "eval", options.Device, threads, report, "evaluate", ""));
                        continue;
                    }
                    if (done.Stage == "train") { stopped++; continue; }
                    evaluated++;
                    var p = RunProgress.Of(run2);
                    report($"done     {run2.Name}: {p.StepsDone}/{p.TotalSteps} steps, loss {Loss(p.LastLoss)}, evaluated ({Elapsed(clocks[run2.Path].Elapsed)})");
                }
                else if (code is 130 or 143)
                {
                    stopped++;
                    report($"stopped  {run2.Name}: at step {RunProgress.Of(run2).StepsDone} (rerun the sweep to resume it)");
                }
                else
                {
                    failed++;
                    var text = done.Errors.ToString().Trim();
                    AtomicFile.WriteAllText(errorPath, (text.Length > 0 ? text : $"error: icl {done.Stage} exited with code {code}") + "\n");
                    report($"FAILED   {run2.Name}: {RunProgress.Of(run2).Error} (icl {done.Stage}, exit {code}; its output: {Path.Combine(run2.Path, SweepFolder.LogFileName)})");
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
                job.Log.Dispose();
            }
        }
        return new LocalSweepResult(evaluated, already, failed, stopped, pending.Count, busy);
    }

    static Job Start(IclProgram icl, RunFolder run, string stage, string device, int threads, Action<string> report, string verb, string detail)
    {
        var start = new ProcessStartInfo(icl.FileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = run.Path,
        };
        foreach (var a in icl.LeadingArguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add(stage);
        start.ArgumentList.Add(run.Path);
        if (stage == "train") start.ArgumentList.Add("--no-eval");
        foreach (var a in new[] { "--device", device, "--threads", threads.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        var n = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = n;
        start.Environment["MKL_NUM_THREADS"] = n;
        start.Environment["DOTNET_PROCESSOR_COUNT"] = n;

        Directory.CreateDirectory(run.Path);
        var logPath = Path.Combine(run.Path, SweepFolder.LogFileName);
        StreamWriter log;
        try { log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true }; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(logPath, e); }
        log.WriteLine($"== {DateTime.Now:yyyy-MM-dd HH:mm:ss} icl {stage} {run.Path} ({threads} thread{(threads == 1 ? "" : "s")})");
        var errors = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (log) log.WriteLine(line); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (log) log.WriteLine(line);
            lock (errors) errors.AppendLine(line);
        };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            log.Dispose();
            throw new InputException($"{icl.FileName}: cannot start icl ({e.Message})");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        report($"{verb,-8} {run.Name}{detail} (output: {logPath})");
        return new Job(run, stage, process, errors, log);
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
