using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Models;
using InContext.Training;
using InContext.Storage;

namespace InContext.Sweeps;

/// <summary>
/// Where one run of a sweep stands, read from its folder alone: the steps its <c>state.pt</c>
/// holds of the config's total, the last logged loss, whether <c>metrics.json</c> holds every
/// evaluation of the transformer for that very checkpoint, the last error (<c>error.txt</c>, which
/// a sweep's commands leave when they fail), and the process training it, if one on this machine
/// holds the folder's lock.
/// </summary>
public sealed record RunProgress(
    string Id, string Path, int StepsDone, int TotalSteps, double? LastLoss, bool Evaluated, string? Error, string? Holder)
{
    /// <summary>Whether the run has trained all its steps.</summary>
    public bool Trained => TotalSteps > 0 && StepsDone >= TotalSteps;
    /// <summary>Whether the last command failed and the run is not evaluated.</summary>
    public bool Failed => Error is not null && !Evaluated;
    /// <summary>Whether any step has been trained or logged.</summary>
    public bool Started => StepsDone > 0 || LastLoss is not null;

    /// <summary>Where <paramref name="run"/> stands now.</summary>
    public static RunProgress Of(RunFolder run) => Of(run, LockHolders());

    internal static RunProgress Of(RunFolder run, IReadOnlySet<string> lockedFolders)
    {
        var holder = lockedFolders.Contains(run.Path) ? LockOwner(run.Path) : null;
        var error = LastError(run);
        RunConfig config;
        try { config = run.LoadConfig(); }
        catch (InputException e) { return new RunProgress(run.Name, run.Path, 0, 0, null, false, error ?? e.Message, holder); }
        var total = config.Training.TrainSteps;
        var steps = 0;
        double? loss = null;
        var evaluated = false;
        try
        {
            if (run.HasState) steps = (CheckpointStep.Read(run.StatePath) ?? -1) + 1;
            if (File.Exists(run.TrainLogPath) && TrainingLog.Read(run.TrainLogPath, dropTruncatedLastLine: true) is { Count: > 0 } rows) loss = rows[^1].Loss;
            evaluated = steps >= total && RunEvaluation.IsCurrent(run, Evaluations.For(config.CreateTask()).Select(e => e.Name), InContextTransformer.Id);
        }
        catch (InputException e) { error ??= e.Message; }
        return new RunProgress(run.Name, run.Path, steps, total, loss, evaluated, error, holder);
    }

    /// <summary>The last line of the run's <c>error.txt</c> that reads "error: ...", else its last line; null when there is none.</summary>
    static string? LastError(RunFolder run)
    {
        var path = System.IO.Path.Combine(run.Path, RunFolder.ErrorFileName);
        try
        {
            if (!File.Exists(path)) return null;
            var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (lines.Count == 0) return null;
            var line = lines.LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? lines[^1];
            return Printable.Escape(line, 300);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The run's lock file's first line: who holds it ("process 123 on host (training, since ...)").</summary>
    static string LockOwner(string folder) => RunLock.ReadHolder(folder) is { } h ? Printable.Escape(h, 200) : "a process on this machine";

    /// <summary>
    /// The folders whose run lock (<see cref="RunLock"/>) a process on this machine holds, found
    /// without touching the locks (taking one, even briefly, could refuse a trainer starting at
    /// that moment): the processes <c>/proc/locks</c> lists with a flock, and their open
    /// <c>.lock</c> files. Empty where there is no /proc (a lock held on another host is not seen).
    /// </summary>
    internal static IReadOnlySet<string> LockHolders()
    {
        var folders = new HashSet<string>();
        try
        {
            if (!File.Exists("/proc/locks")) return folders;
            var pids = File.ReadAllLines("/proc/locks").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 4 && f[1] == "FLOCK" && f[3] == "WRITE").Select(f => f[4]).Distinct();
            foreach (var pid in pids)
            {
                string[] fds;
                try { fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd"); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                foreach (var fd in fds)
                {
                    try
                    {
                        if (new FileInfo(fd).LinkTarget is { } target && System.IO.Path.GetFileName(target) == RunLock.FileName)
                            folders.Add(System.IO.Path.GetDirectoryName(target)!);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return folders;
    }
}
