using InContext.Training;
using InContext.Evaluation;

namespace InContext.Reports;

/// <summary>
/// Reads what a report needs from a run folder, turning every problem into a
/// <see cref="ReportInputException"/> whose message says what to do.
/// </summary>
public static class RunInputs
{
    public const string MetricsFileName = "metrics.json";
    public const string TrainLogFileName = "train_log.csv";

    public static MetricsFile LoadMetrics(string metricsPath)
    {
        if (!File.Exists(metricsPath))
        {
            var runDir = Path.GetDirectoryName(Path.GetFullPath(metricsPath)) ?? ".";
            throw new ReportInputException($"{metricsPath}: not found; run `icl eval {runDir}` first");
        }
        try { return MetricsFile.Load(metricsPath); }
        catch (InvalidDataException e) { throw new ReportInputException(e.Message, e); }
    }

    /// <summary>The logged steps, or null when there is no log (the training curve is then left out).</summary>
    public static IReadOnlyList<LogRow>? LoadTrainLog(string? trainLogPath) =>
        trainLogPath != null && File.Exists(trainLogPath) ? TrainingLog.Read(trainLogPath) : null;
}
