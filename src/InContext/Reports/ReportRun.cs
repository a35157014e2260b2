using InContext.Storage;
namespace InContext.Reports;

/// <summary>
/// One run in an HTML report: where it lives, how to plot it, a few config entries to show,
/// and its inputs. <paramref name="Models"/> optionally restricts and orders the models shown.
/// </summary>
public sealed record ReportRun(
    string RunDir,
    PlotSettings Settings,
    IReadOnlyList<KeyValuePair<string, string>> Config,
    string MetricsPath,
    string? TrainLogPath,
    IReadOnlyList<string>? Models = null,
    ExampleColumns? Columns = null)
{
    /// <summary>A run whose metrics.json and train_log.csv sit in <paramref name="runDir"/>, as the trainer and evaluator leave them.</summary>
    public static ReportRun InFolder(string runDir, PlotSettings settings, IReadOnlyList<KeyValuePair<string, string>> config,
        IReadOnlyList<string>? models = null) =>
        new(runDir, settings, config, Path.Combine(runDir, RunFolder.MetricsFileName),
            Path.Combine(runDir, RunFolder.TrainLogFileName), models);
}
