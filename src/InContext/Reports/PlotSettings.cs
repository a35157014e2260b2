using InContext.Evaluation;
using InContext.Tasks;

namespace InContext.Reports;

/// <summary>
/// What a figure or a table needs to know about the errors it shows, all from the function
/// class's own facts: what the metric is divided by (the paper's normalisation, so that
/// predicting 0 scores 1), how many positions are worth showing, the metric's name and direction,
/// and the reference line.
/// </summary>
/// <param name="RunName">A short name for the run, shown in titles and the report.</param>
/// <param name="NDims">The input dims that carry values (tables show 1, d/2, d and 2d examples).</param>
/// <param name="Normaliser">What the metric is divided by (<see cref="FunctionClass.ErrorNormaliser"/>).</param>
/// <param name="MaxPositions">How many positions (0, 1, ... examples) to show at most.</param>
/// <param name="MetricName">The metric's name, for labels.</param>
/// <param name="HigherIsBetter">Whether a larger value is better (accuracy) or worse (an error).</param>
/// <param name="ReferenceLevel">Where the dashed reference line is drawn, in the values shown.</param>
/// <param name="ReferenceLabel">The reference line's legend text.</param>
/// <param name="RelativeToZero">Divide each error by that of predicting 0 on the same prompts, position
/// by position (the <c>zero</c> learner's, which the metrics must hold), instead of by <see cref="Normaliser"/>:
/// under a shift that scales the outputs, the paper's normalisation no longer puts predicting 0 at 1.</param>
/// <param name="Positions">The points of the run's prompts, so many values each curve of its metrics must
/// hold (<see cref="MetricsFile.EnsurePositions"/>); null when unknown.</param>
public sealed record PlotSettings(
    string RunName, int NDims, double Normaliser, int MaxPositions, string MetricName, bool HigherIsBetter,
    double ReferenceLevel, string ReferenceLabel, bool RelativeToZero = false, int? Positions = null)
{
    /// <summary>The settings for a run of <paramref name="task"/> with <paramref name="activeDims"/> input dims, named <paramref name="runName"/>, all from the class's own facts.</summary>
    public static PlotSettings For(FunctionClass task, int activeDims, string runName) =>
        new(runName, activeDims, task.ErrorNormaliser(activeDims), task.PlotPositions(activeDims), task.MetricName, task.HigherIsBetter,
            task.ReferenceLine.Level, task.ReferenceLine.Label);

    /// <summary>The y-axis label: a normalised error says so.</summary>
    public string ValueLabel => RelativeToZero ? $"{MetricName} relative to predicting 0"
        : Normaliser == 1 && MetricName != "squared error" ? MetricName : $"{MetricName} (normalised)";

    /// <summary>How a table's title names its values: <c>squared error / 5</c>, or the metric alone when nothing divides it.</summary>
    public string ValueTitle => RelativeToZero ? $"{MetricName} / predicting 0's" : Normaliser == 1 ? MetricName : $"{MetricName} / {Normaliser:G3}";

    /// <summary>The settings that divide by predicting 0's error under the same prompts (needs a metric that is an error).</summary>
    public PlotSettings WithRelativeToZero() => HigherIsBetter
        ? throw new ParameterException("relative_to_zero", $": {MetricName} is not an error; only errors are measured against predicting 0")
        : this with { RelativeToZero = true, ReferenceLevel = 1, ReferenceLabel = "predicting 0" };
}
