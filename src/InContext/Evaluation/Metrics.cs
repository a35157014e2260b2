using System.Text.Json;
using System.Text.Json.Serialization;

namespace InContext.Evaluation;

/// <summary>Aggregated error of one model on one evaluation, one entry per position.</summary>
public sealed record PositionStats(
    [property: JsonPropertyName("mean")] double[] Mean,
    [property: JsonPropertyName("std")] double[] Std,
    [property: JsonPropertyName("bootstrap_low")] double[] BootstrapLow,
    [property: JsonPropertyName("bootstrap_high")] double[] BootstrapHigh);

/// <summary>
/// The paper's metrics.json: <c>{eval_name: {model_name: {mean, std, bootstrap_low, bootstrap_high}}}</c>.
/// Evaluation and model names keep the order in which they were added.
/// </summary>
public sealed class MetricsFile
{
    public Dictionary<string, Dictionary<string, PositionStats>> Evaluations { get; } = new();

    public void Set(string evaluation, string model, PositionStats stats)
    {
        if (!Evaluations.TryGetValue(evaluation, out var models))
            Evaluations[evaluation] = models = new Dictionary<string, PositionStats>();
        models[model] = stats;
    }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Reads a metrics.json; a malformed file raises <see cref="InvalidDataException"/> naming it.</summary>
    public static MetricsFile Load(string path)
    {
        var file = new MetricsFile();
        try
        {
            var raw = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, PositionStats>>>(File.ReadAllText(path), Options)
                      ?? throw new InvalidDataException("empty document");
            foreach (var (evaluation, models) in raw)
                foreach (var (model, stats) in models)
                {
                    if (stats?.Mean == null || stats.Std == null || stats.BootstrapLow == null || stats.BootstrapHigh == null)
                        throw new InvalidDataException($"{evaluation}.{model} lacks one of mean, std, bootstrap_low, bootstrap_high");
                    file.Set(evaluation, model, stats);
                }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a metrics.json ({e.Message})");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path))
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
        return file;
    }

    /// <summary>Writes to a temporary file and renames it into place, so a crash never leaves half a file.</summary>
    public void Save(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(Evaluations, Options));
        File.Move(tmp, path, overwrite: true);
    }
}
