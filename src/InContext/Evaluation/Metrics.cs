using System.Text.Json;
using System.Text.Json.Serialization;
using InContext.Storage;

namespace InContext.Evaluation;

/// <summary>
/// Aggregated error of one model on one evaluation, one entry per position, and what it was
/// computed on (<see cref="EvaluatedOn"/>: problem, checkpoint and prompts, see
/// <see cref="EvaluationKey"/>), so that an entry is reused only for the very same question.
/// </summary>
public sealed record PositionStats(
    [property: JsonPropertyName("mean")] double[] Mean,
    [property: JsonPropertyName("std")] double[] Std,
    [property: JsonPropertyName("bootstrap_low")] double[] BootstrapLow,
    [property: JsonPropertyName("bootstrap_high")] double[] BootstrapHigh,
    [property: JsonPropertyName("evaluated_on"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EvaluatedOn = null);

/// <summary>
/// The paper's metrics.json: <c>{eval_name: {model_name: {mean, std, bootstrap_low, bootstrap_high}}}</c>
/// (ours adds <c>evaluated_on</c> to each entry, which the paper's notebook ignores).
/// Evaluation and model names keep the order in which they were added.
/// </summary>
public sealed class MetricsFile
{
    /// <summary>Per evaluation name, per model id, the model's statistics, in the order added.</summary>
    public Dictionary<string, Dictionary<string, PositionStats>> Evaluations { get; } = new();

    /// <summary>Sets (or replaces) <paramref name="model"/>'s statistics on <paramref name="evaluation"/>.</summary>
    public void Set(string evaluation, string model, PositionStats stats)
    {
        if (!Evaluations.TryGetValue(evaluation, out var models))
            Evaluations[evaluation] = models = new Dictionary<string, PositionStats>();
        models[model] = stats;
    }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Reads a metrics.json; a malformed file is refused in one line naming it.</summary>
    public static MetricsFile Load(string path)
    {
        var file = new MetricsFile();
        try
        {
            var raw = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, PositionStats>>>(File.ReadAllText(path), Options)
                      ?? throw new InvalidDataException("empty document");
            foreach (var (evaluation, models) in raw)
                foreach (var (model, stats) in models ?? throw new InvalidDataException($"{evaluation} is not a mapping of models"))
                {
                    if (stats?.Mean == null || stats.Std == null || stats.BootstrapLow == null || stats.BootstrapHigh == null)
                        throw new InvalidDataException($"{evaluation}.{model} lacks one of mean, std, bootstrap_low, bootstrap_high");
                    file.Set(evaluation, model, stats);
                }
        }
        catch (JsonException e) { throw new InputException($"{path}: not a metrics.json ({e.Message.Split('\n')[0]})", e); }
        catch (InvalidDataException e) { throw new InputException($"{path}: not a metrics.json ({e.Message})", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }
        return file;
    }

    /// <summary>Writes the file atomically. Every value must be finite: JSON has no NaN, and the evaluator refuses non-finite predictions first.</summary>
    public void Save(string path)
    {
        foreach (var (evaluation, models) in Evaluations)
            foreach (var (model, s) in models)
                if (s.Mean.Concat(s.Std).Concat(s.BootstrapLow).Concat(s.BootstrapHigh).Any(v => !double.IsFinite(v)))
                    throw new InvalidOperationException($"{evaluation}.{model}: non-finite statistics cannot be written as JSON");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(Evaluations, Options));
    }
}
