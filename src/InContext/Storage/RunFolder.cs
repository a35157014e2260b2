using System.Text.RegularExpressions;

namespace InContext.Storage;

/// <summary>
/// A run's folder, as the paper lays it out: <c>config.yaml</c> (resolved), <c>state.pt</c>,
/// <c>model_&lt;step&gt;.pt</c>, plus our <c>train_log.csv</c>, TensorBoard events,
/// <c>metrics.json</c> and <c>plots/</c>. Only paths here: loading the config, the model or the
/// metrics is done by the layer that owns each (<c>LoadConfig</c>, <c>LoadModel</c>, ...).
/// </summary>
public sealed partial class RunFolder(string path)
{
    /// <summary>The resolved config the run trains with.</summary>
    public const string ConfigFileName = "config.yaml";
    /// <summary>The latest training state: model, optimizer and step, which training resumes from.</summary>
    public const string StateFileName = "state.pt";
    /// <summary>The training log: one row (loss, curriculum, time) per logged step.</summary>
    public const string TrainLogFileName = "train_log.csv";
    /// <summary>The evaluation's metrics.</summary>
    public const string MetricsFileName = "metrics.json";
    /// <summary>The folder of the run's figures.</summary>
    public const string PlotsFolderName = "plots";
    /// <summary>Why the run last failed, one "error:" line (a sweep's failed command, a pack member that diverged); gone once it succeeds.</summary>
    public const string ErrorFileName = "error.txt";

    /// <summary>The folder's full path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    /// <summary>The path of <c>config.yaml</c>.</summary>
    public string ConfigPath => In(ConfigFileName);
    /// <summary>The path of <c>state.pt</c>.</summary>
    public string StatePath => In(StateFileName);
    /// <summary>The path of <c>train_log.csv</c>.</summary>
    public string TrainLogPath => In(TrainLogFileName);
    /// <summary>The path of <c>metrics.json</c>.</summary>
    public string MetricsPath => In(MetricsFileName);
    /// <summary>The path of <c>error.txt</c>.</summary>
    public string ErrorPath => In(ErrorFileName);
    /// <summary>The path of <c>plots/</c>.</summary>
    public string PlotsPath => In(PlotsFolderName);
    /// <summary>The path of the model kept at <paramref name="step"/>, <c>model_&lt;step&gt;.pt</c>.</summary>
    public string ModelPath(int step) => In($"model_{step}.pt");

    /// <summary><c>metrics.json</c> for <c>state.pt</c>, <c>metrics_&lt;step&gt;.json</c> for a kept model.</summary>
    public string MetricsPathFor(int? step) => step is { } s ? In($"metrics_{s}.json") : MetricsPath;

    /// <summary>The folder's own name (the run's name).</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>Whether the folder has a <c>config.yaml</c>.</summary>
    public bool HasConfig => File.Exists(ConfigPath);
    /// <summary>Whether the folder has a <c>state.pt</c> (the run has been trained at least in part).</summary>
    public bool HasState => File.Exists(StatePath);

    string In(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Takes the folder's one-writer lock (see <see cref="RunLock"/>) for <paramref name="purpose"/>,
    /// and removes the temporary files that a writer of the folder's own files (config, state,
    /// kept models, log, metrics), killed mid-write, left. Those files are written only under this
    /// lock, so none of their writes can be in flight; any other <c>.tmp</c> (a figure a user
    /// writes into the folder) is left alone.
    /// </summary>
    public RunLock Lock(string purpose)
    {
        var held = RunLock.Acquire(Path, purpose);
        try
        {
            foreach (var tmp in Directory.EnumerateFiles(Path, "*" + AtomicFile.TempSuffix))
            {
                var target = tmp[..^AtomicFile.TempSuffix.Length];
                if (IsWrittenUnderLock(System.IO.Path.GetFileName(target))) AtomicFile.RemoveLeftover(target);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // best effort: the lock is what matters
        return held;
    }

    static bool IsWrittenUnderLock(string name) =>
        name is ConfigFileName or StateFileName or TrainLogFileName or MetricsFileName || KeptModel().IsMatch(name) || MetricsAtStep().IsMatch(name);

    [GeneratedRegex(@"^model_(\d+)\.pt$")]
    private static partial Regex KeptModel();

    [GeneratedRegex(@"^metrics_\d+\.json$")]
    private static partial Regex MetricsAtStep();

    /// <summary>Steps of the kept <c>model_&lt;step&gt;.pt</c> files, ascending.</summary>
    public IReadOnlyList<int> KeptSteps() =>
        Directory.Exists(Path)
            ? Directory.GetFiles(Path, "model_*.pt").Select(f => KeptModel().Match(System.IO.Path.GetFileName(f)))
                .Where(m => m.Success && int.TryParse(m.Groups[1].Value, out _)).Select(m => int.Parse(m.Groups[1].Value)).Order().ToList()
            : [];

    /// <summary>The checkpoint to read: <c>model_&lt;step&gt;.pt</c> when a step is asked, else <c>state.pt</c>.</summary>
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
        if (!Directory.Exists(Path)) throw new InputException($"{Path}: run folder not found");
        throw new InputException($"{Path}: no checkpoint (state.pt) in the run folder; the run has not been trained yet");
    }

    /// <summary>
    /// Refuses a folder name that is not one plain name (path separators, <c>..</c>, nothing);
    /// the name of a new run inside an output folder.
    /// </summary>
    public static string CheckName(string name, string parameter) =>
        name.Length == 0 || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name is "." or ".."
            ? throw new ParameterException(parameter, $"'{name}': expected a plain folder name")
            : name;
}
