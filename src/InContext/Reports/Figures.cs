using InContext.Training;
using InContext.Evaluation;
using InContext.Storage;

namespace InContext.Reports;

/// <summary>
/// Writes a run's figures to a folder: one per evaluation in metrics.json, named after it, and
/// <c>training_curve</c> from train_log.csv when the run has one.
/// </summary>
public static class Figures
{
    /// <summary>The training curve's file name, without extension.</summary>
    public const string TrainingCurveName = "training_curve";

    /// <summary>
    /// Writes every figure of a run into <paramref name="outDir"/> (created if need be). Both inputs
    /// are read before any file is written, so bad input leaves no partial set of figures. Relative
    /// to zero, the evaluations without the <c>zero</c> learner are left out (all of them: one line).
    /// </summary>
    /// <param name="metricsPath">The run's metrics.json.</param>
    /// <param name="trainLogPath">The run's train_log.csv; null or a missing file leaves the training curve out.</param>
    /// <param name="settings">The run's plot settings.</param>
    /// <param name="outDir">The folder to write into.</param>
    /// <param name="models">Model ids to show, in legend order; null shows every model.</param>
    /// <param name="format">"png" or "svg".</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    /// <returns>The files written, evaluations first in the file's order, then the training curve.</returns>
    public static IReadOnlyList<string> WriteAll(string metricsPath, string? trainLogPath, PlotSettings settings, string outDir,
        IReadOnlyList<string>? models = null, string format = "png",
        int width = FigureExport.DefaultWidth, int height = FigureExport.DefaultHeight)
    {
        format = FigureExport.CheckFormat(format);
        AtomicFile.EnsureFolderWritable(outDir);
        var metrics = RunInputs.LoadMetrics(metricsPath, settings.Positions);
        var log = RunInputs.LoadTrainLog(trainLogPath);
        var shown = metrics.Evaluations.Where(e => ErrorCurve.CanShow(e.Value, settings)).ToList();
        if (shown.Count == 0 && metrics.Evaluations.Count > 0) throw ErrorCurve.NoZero();
        var written = new List<string>();
        foreach (var (name, evaluation) in shown)
        {
            var path = Path.Combine(outDir, $"{FileName(name)}.{format}");
            if (WriteEvaluation(name, evaluation, settings, path, models, format, width, height))
                written.Add(path);
        }
        var curvePath = Path.Combine(outDir, $"{TrainingCurveName}.{format}");
        if (log != null && WriteTrainingCurve(log, settings, curvePath, format, width, height))
            written.Add(curvePath);
        return written;
    }

    /// <summary>Writes one evaluation's figure; false (and no file) when none of the asked models took part in it.</summary>
    public static bool WriteEvaluation(string evaluationName, IReadOnlyDictionary<string, PositionStats> evaluation,
        PlotSettings settings, string path, IReadOnlyList<string>? models = null, string format = "png",
        int width = FigureExport.DefaultWidth, int height = FigureExport.DefaultHeight)
    {
        var curves = ErrorCurve.ForEvaluation(evaluation, settings, models);
        if (curves.Count == 0) return false;
        FigureExport.Save(new ScottPlot.Multiplot(ErrorFigure.Build(evaluationName, curves, settings)), path, format, width, height);
        return true;
    }

    /// <summary>Writes the training curve of a train_log.csv; false (and no file) when the log has no rows.</summary>
    public static bool WriteTrainingCurve(string trainLogPath, PlotSettings settings, string path, string format = "png",
        int width = FigureExport.DefaultWidth, int height = FigureExport.DefaultHeight) =>
        WriteTrainingCurve(TrainingLog.Read(trainLogPath), settings, path, format, width, height);

    static bool WriteTrainingCurve(IReadOnlyList<LogRow> log, PlotSettings settings, string path, string format, int width, int height)
    {
        if (log.Count == 0) return false;
        FigureExport.Save(TrainingCurveFigure.Build(log, settings.RunName), path, format, width, height);
        return true;
    }

    /// <summary>An evaluation name as a file name: evaluation names such as <c>scale-x=0.5</c> stay readable.</summary>
    public static string FileName(string evaluationName) =>
        new(evaluationName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' or '.' ? c : '_').ToArray());
}
