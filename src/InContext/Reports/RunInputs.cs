using InContext.Training;
using InContext.Evaluation;

namespace InContext.Reports;

/// <summary>
/// Reads what a report needs from a run folder, turning every problem into a
/// <see cref="ReportInputException"/> whose message says what to do.
/// </summary>
public static class RunInputs
{
    /// <summary>Reads <paramref name="metricsPath"/>, each entry of <paramref name="positions"/> values when given; a missing file says to evaluate the run first.</summary>
    public static MetricsFile LoadMetrics(string metricsPath, int? positions = null)
    {
        if (!File.Exists(metricsPath))
        {
            var runDir = Path.GetDirectoryName(Path.GetFullPath(metricsPath)) ?? ".";
            throw new ReportInputException($"{metricsPath}: not found; evaluate the run first");
        }
        return MetricsFile.Load(metricsPath, positions);
    }

    /// <summary>The logged steps, or null when there is no log (the training curve is then left out).</summary>
    public static IReadOnlyList<LogRow>? LoadTrainLog(string? trainLogPath) =>
        trainLogPath != null && File.Exists(trainLogPath) ? TrainingLog.Read(trainLogPath) : null;
}
