using InContext.Config;

namespace InContext.Training;

/// <summary>Where a training run lives, and whether it resumes.</summary>
public static class Runs
{
    /// <summary>
    /// The run folder <c>&lt;out_dir&gt;/&lt;run_id&gt;/</c> (<paramref name="outDir"/> overrides the
    /// config's; without <paramref name="runId"/>, a fresh id). When the folder already holds a
    /// run, its own resolved config is used, so a resumed run continues the same trajectory.
    /// </summary>
    public static (RunFolder run, RunConfig config, bool resumes) Prepare(RunConfig config, string? outDir, string? runId)
    {
        var root = outDir != null ? Path.GetFullPath(outDir) : config.ResolvedOutDir;
        if (File.Exists(root)) throw new ParameterException(outDir != null ? "out" : "out_dir", $"{root}: is a file, expected a folder for runs");
        runId ??= config.Training.ResumeId ?? $"{config.Wandb.Name ?? config.Training.Task}-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        var run = new RunFolder(Path.Combine(root, RunFolder.CheckName(runId, "run_id")));
        if (File.Exists(run.Path)) throw new ParameterException("run_id", $"{run.Path}: is a file, expected a run folder");
        if (run.HasConfig) return (run, run.LoadConfig(), run.HasState);
        return (run, config, false);
    }
}
