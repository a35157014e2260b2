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

    /// <summary>
    /// Reads a metrics.json; a malformed file is refused in one line naming it. Every entry must
    /// hold one value per position in each statistic, and <paramref name="positions"/> of them when
    /// given (<see cref="EnsurePositions"/>): a file cut short or edited by hand is refused rather than shown.
    /// </summary>
    public static MetricsFile Load(string path, int? positions = null)
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
                    CheckShape($"{evaluation}.{model}", stats);
                    file.Set(evaluation, model, stats);
                }
        }
        catch (JsonException e) { throw new InputException($"{path}: not a metrics.json ({e.Message.Split('\n')[0]})", e); }
        catch (InvalidDataException e) { throw new InputException($"{path}: not a metrics.json ({e.Message})", e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }
        if (positions is { } p) file.EnsurePositions(path, p);
        return file;
    }

    /// <summary>Refuses an entry whose statistics do not hold one value per position each.</summary>
    static void CheckShape(string entry, PositionStats stats)
    {
        var n = stats.Mean.Length;
        if (n == 0) throw new InvalidDataException($"{entry}: mean is empty; expected one value per position");
        foreach (var (name, values) in new[] { ("std", stats.Std), ("bootstrap_low", stats.BootstrapLow), ("bootstrap_high", stats.BootstrapHigh) })
            if (values.Length != n)
                throw new InvalidDataException($"{entry}: {name} has {values.Length} values where mean has {n}; expected one value per position in each");
    }

    /// <summary>Refuses, naming <paramref name="path"/> and the entry, a file whose entries do not each hold <paramref name="positions"/> positions (the points of the prompts they were evaluated on).</summary>
    public void EnsurePositions(string path, int positions)
    {
        foreach (var (evaluation, models) in Evaluations)
            foreach (var (model, stats) in models)
                if (stats.Mean.Length != positions)
                    throw new InputException($"{path}: {evaluation}.{model} has {stats.Mean.Length} positions, expected {positions}, one per point of the {positions}-point prompts evaluated; recompute the evaluation to replace it");
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
