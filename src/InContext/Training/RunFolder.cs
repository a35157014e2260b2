using System.Text.RegularExpressions;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>
/// A run's folder, as the paper lays it out: <c>config.yaml</c> (resolved), <c>state.pt</c>,
/// <c>model_&lt;step&gt;.pt</c>, plus our <c>train_log.csv</c>, TensorBoard events,
/// <c>metrics.json</c> and <c>plots/</c>.
/// </summary>
public sealed partial class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string ConfigPath => System.IO.Path.Combine(Path, "config.yaml");
    public string StatePath => System.IO.Path.Combine(Path, "state.pt");
    public string TrainLogPath => System.IO.Path.Combine(Path, "train_log.csv");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.json");
    public string PlotsPath => System.IO.Path.Combine(Path, "plots");
    public string ModelPath(int step) => System.IO.Path.Combine(Path, $"model_{step}.pt");
    public string Name => System.IO.Path.GetFileName(Path);

    public bool HasConfig => File.Exists(ConfigPath);
    public bool HasState => File.Exists(StatePath);

    /// <summary>The run's resolved config; a folder without one is refused with its path.</summary>
    public RunConfig LoadConfig() =>
        HasConfig ? RunConfig.Load(ConfigPath) : throw new InputException($"{Path}: not a run folder (no config.yaml)");

    [GeneratedRegex(@"^model_(\d+)\.pt$")]
    private static partial Regex KeptModel();

    /// <summary>Steps of the kept <c>model_&lt;step&gt;.pt</c> files, ascending.</summary>
    public IReadOnlyList<int> KeptSteps() =>
        Directory.Exists(Path)
            ? Directory.GetFiles(Path, "model_*.pt").Select(f => KeptModel().Match(System.IO.Path.GetFileName(f)))
                .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).Order().ToList()
            : [];

    /// <summary>The checkpoint to evaluate: <c>model_&lt;step&gt;.pt</c> when a step is asked, else <c>state.pt</c>.</summary>
    public string CheckpointPath(int? step = null)
    {
        if (step is { } s)
        {
            var p = ModelPath(s);
            if (!File.Exists(p))
                throw new InputException($"{Path}: no checkpoint for step {s} (kept steps: {(KeptSteps() is { Count: > 0 } k ? string.Join(", ", k) : "none")})");
            return p;
        }
        if (HasState) return StatePath;
        throw new InputException($"{Path}: no checkpoint (state.pt) in the run folder; train it first with `icl train`");
    }

    /// <summary>Loads the run's trained model onto <paramref name="device"/>.</summary>
    public InContextTransformer LoadModel(Device? device = null, int? step = null)
    {
        var config = LoadConfig();
        var model = new InContextTransformer(config.Model, device);
        using var contents = PyTorchCheckpoint.Read(CheckpointPath(step));
        PyTorchCheckpoint.LoadModel(model, contents.Model, contents.Path);
        model.eval();
        return model;
    }
}

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
        runId ??= config.Training.ResumeId ?? $"{config.Wandb.Name ?? config.Training.Task}-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        if (runId.Length == 0 || runId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || runId is "." or "..")
            throw new InputException($"--run-id '{runId}': expected a plain folder name");
        var run = new RunFolder(Path.Combine(root, runId));
        if (run.HasConfig) return (run, run.LoadConfig(), run.HasState);
        return (run, config, false);
    }
}
