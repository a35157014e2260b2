using InContext.Config;
using InContext.Yaml;
using InContext.Storage;

namespace InContext.Sweeps;

/// <summary>
/// A sweep's folder: <c>runs.txt</c> (the run ids, one a line, in the order of the Slurm array),
/// <c>sweep.yaml</c> (a copy of the sweep file it came from), one run folder per run with its
/// resolved <c>config.yaml</c>, and <c>slurm/</c> (the batch script and its logs) when submitted.
/// Each run folder is an ordinary run: <c>icl train RUN_DIR</c> trains or resumes it.
/// </summary>
public sealed class SweepFolder
{
    /// <summary>The file that lists the run ids.</summary>
    public const string RunsFileName = "runs.txt";
    /// <summary>The copy of the sweep file.</summary>
    public const string SweepFileName = "sweep.yaml";
    /// <summary>The folder of the batch script and Slurm's logs.</summary>
    public const string SlurmFolderName = "slurm";
    /// <summary>In each run folder: what its icl commands printed (a local sweep's; Slurm keeps its own logs in slurm/).</summary>
    public const string LogFileName = "icl.log";

    /// <summary>The sweep folder's full path.</summary>
    public string Path { get; }
    /// <summary>The run ids, in the order of <c>runs.txt</c> (the Slurm array's).</summary>
    public IReadOnlyList<string> RunIds { get; }

    SweepFolder(string path, IReadOnlyList<string> runIds) { Path = path; RunIds = runIds; }

    /// <summary>The sweep's name: its folder's.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>The path of <c>runs.txt</c>.</summary>
    public string RunsPath => System.IO.Path.Combine(Path, RunsFileName);
    /// <summary>The path of <c>slurm/</c>.</summary>
    public string SlurmPath => System.IO.Path.Combine(Path, SlurmFolderName);
    /// <summary>The run folder of run <paramref name="id"/>.</summary>
    public RunFolder Run(string id) => new(System.IO.Path.Combine(Path, id));
    /// <summary>The run folders, in the order of <c>runs.txt</c>.</summary>
    public IEnumerable<RunFolder> Runs => RunIds.Select(Run);

    /// <summary>Whether <paramref name="path"/> is a sweep's folder (it has <c>runs.txt</c>).</summary>
    public static bool IsSweepFolder(string path) => File.Exists(System.IO.Path.Combine(path, RunsFileName));

    /// <summary>An existing sweep folder; anything else is refused in one line.</summary>
    public static SweepFolder Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new InputException($"{full}: sweep folder not found");
        var runs = System.IO.Path.Combine(full, RunsFileName);
        if (!File.Exists(runs)) throw new InputException($"{full}: not a sweep folder (no {RunsFileName}; `icl sweep SWEEP.yaml` prepares one)");
        string[] lines;
        try { lines = File.ReadAllLines(runs); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(runs, e); }
        var ids = lines.Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        for (var i = 0; i < ids.Count; i++)
            if (ids[i].IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || ids[i] is "." or "..")
                throw new InputException($"{runs}: line {i + 1}: '{Printable.Escape(ids[i])}' is not a run folder name");
        if (ids.Count == 0) throw new InputException($"{runs}: lists no runs");
        return new SweepFolder(full, ids);
    }

    /// <summary>
    /// Writes the sweep's folder: each run's resolved config (a run that has started keeps its
    /// own, and must not differ from the sweep's), <c>runs.txt</c> and a copy of the sweep file.
    /// Rerunning it is harmless. Every run folder is checked before anything is written; the
    /// problems are refused together (<see cref="SweepException"/>).
    /// </summary>
    public static SweepFolder Prepare(Sweep sweep)
    {
        var toWrite = Check(sweep);
        Directory.CreateDirectory(sweep.Folder);
        Directory.CreateDirectory(System.IO.Path.Combine(sweep.Folder, SlurmFolderName));
        foreach (var run in toWrite) run.Config.Save(System.IO.Path.Combine(sweep.Folder, run.Id, RunFolder.ConfigFileName));
        AtomicFile.WriteAllText(System.IO.Path.Combine(sweep.Folder, SweepFileName),
            $"# A copy of {sweep.File}, which prepared this folder (its inherit: paths are relative to that file).\n" + sweep.Text);
        AtomicFile.WriteAllText(System.IO.Path.Combine(sweep.Folder, RunsFileName), string.Join("\n", sweep.Runs.Select(r => r.Id)) + "\n");
        return new SweepFolder(sweep.Folder, sweep.Runs.Select(r => r.Id).ToList());
    }

    /// <summary>
    /// Checks the sweep against its folder as it stands, writing nothing: returns the runs whose
    /// config is to be written, or refuses with every problem (a started run whose config the
    /// sweep no longer gives, a file where a run folder should be).
    /// </summary>
    public static IReadOnlyList<SweepRun> Check(Sweep sweep)
    {
        var problems = new List<string>();
        var toWrite = new List<SweepRun>();
        try { AtomicFile.EnsureWritable(System.IO.Path.Combine(sweep.Folder, RunsFileName)); }
        catch (InputException e) { throw new SweepException([e.Message]); }
        foreach (var run in sweep.Runs)
        {
            var folder = new RunFolder(System.IO.Path.Combine(sweep.Folder, run.Id));
            if (File.Exists(folder.Path)) { problems.Add($"{folder.Path}: is a file, expected the run folder of {run.Id}"); continue; }
            if (!folder.HasConfig) { toWrite.Add(run); continue; }
            IReadOnlyList<(string Key, string This, string Other)> differences;
            try { differences = RunConfig.Load(folder.ConfigPath).DifferencesFrom(run.Config); }
            catch (InputException e) { problems.Add($"{e.Message} (an existing run of this sweep; remove its folder to start it afresh)"); continue; }
            if (differences.Count == 0) continue;
            var (key, inRun, inSweep) = differences[0];
            if (folder.HasState)
                problems.Add($"{folder.ConfigPath}: {key}: {inRun} in the run, {inSweep} in the sweep: the run has started with its config, which the sweep file no longer gives; remove the run folder to start it afresh, or give the sweep another name");
            else toWrite.Add(run);
        }
        if (problems.Count > 0) throw new SweepException(problems);
        return toWrite;
    }

    /// <summary>Where each run stands (<see cref="RunProgress"/>), in the order of <c>runs.txt</c>.</summary>
    public IReadOnlyList<RunProgress> Status()
    {
        var holders = RunProgress.LockHolders();
        return RunIds.Select(id => RunProgress.Of(Run(id), holders)).ToList();
    }

    /// <summary>
    /// The sweep's runs that have a <c>metrics.json</c>, in the order of <c>runs.txt</c> (the
    /// columns of a report), none when no run is evaluated yet; <paramref name="notEvaluated"/> names the others.
    /// </summary>
    public IReadOnlyList<RunFolder> EvaluatedRuns(out IReadOnlyList<string> notEvaluated)
    {
        var evaluated = Runs.Where(r => File.Exists(r.MetricsPath)).ToList();
        notEvaluated = Runs.Where(r => !File.Exists(r.MetricsPath)).Select(r => r.Name).ToList();
        return evaluated;
    }
}
