using InContext.Config;
using InContext.Storage;

namespace InContext.Training;

/// <summary>Where a training run lives, and whether it resumes.</summary>
public static class Runs
{
    /// <summary>A new run id: the run's name (or task), the time, and four random hex digits.</summary>
    public static string FreshId(RunConfig config) => $"{config.Wandb.Name ?? config.Training.Task}-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";

    /// <summary>
    /// The run folder <c>&lt;out_dir&gt;/&lt;run_id&gt;/</c> (<paramref name="outDir"/> overrides the
    /// config's; without <paramref name="runId"/>, a fresh id). When the folder already holds a
    /// run, its own resolved config is used, so a resumed run continues the same trajectory; a
    /// <paramref name="config"/> that differs from it (its train_steps, out_dir and resume_id aside,
    /// which say how far and where, not what) is refused in one line naming the differences.
    /// </summary>
    public static (RunFolder run, RunConfig config, bool resumes) Prepare(RunConfig config, string? outDir, string? runId)
    {
        var root = outDir != null ? Path.GetFullPath(outDir) : config.ResolvedOutDir;
        if (File.Exists(root)) throw new ParameterException(outDir != null ? "out" : "out_dir", $"{root}: is a file, expected a folder for runs");
        runId ??= config.Training.ResumeId ?? FreshId(config);
        var run = new RunFolder(Path.Combine(root, RunFolder.CheckName(runId, "run_id")));
        if (File.Exists(run.Path)) throw new ParameterException("run_id", $"{run.Path}: is a file, expected a run folder");
        if (run.HasConfig)
        {
            var saved = run.LoadConfig();
            var differences = config.DifferencesFrom(saved, "training.train_steps", "out_dir", "training.resume_id", "test_run");
            if (differences.Count > 0)
                throw new InputException($"{run.Path}: holds a run of another config ({string.Join(", ", differences.Take(3).Select(d => $"{d.Key} {d.Other} there, {d.This} here"))}"
                    + $"{(differences.Count > 3 ? $", and {differences.Count - 3} more" : "")}); resume it as it is with `icl train {run.Path}`, or give another run id");
            return (run, saved, run.HasState);
        }
        return (run, config, false);
    }
}
