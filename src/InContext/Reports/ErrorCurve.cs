using InContext.Evaluation;

namespace InContext.Reports;

/// <summary>
/// One model's error on one evaluation as plotted and tabulated: squared error divided by the
/// task's normaliser, cut to the positions worth showing. Index k = k in-context examples.
/// </summary>
public sealed record ErrorCurve(string ModelId, double[] Mean, double[] Low, double[] High)
{
    public static ErrorCurve From(string modelId, PositionStats stats, PlotSettings settings)
    {
        int n = new[] { stats.Mean.Length, stats.BootstrapLow.Length, stats.BootstrapHigh.Length, settings.MaxPositions }.Min();
        double[] Scale(double[] values) => values.Take(n).Select(v => v / settings.Normaliser).ToArray();
        return new ErrorCurve(modelId, Scale(stats.Mean), Scale(stats.BootstrapLow), Scale(stats.BootstrapHigh));
    }

    /// <summary>
    /// The curves of one evaluation, for the models in <paramref name="models"/> (in that order)
    /// or, without a filter, for every model in the file's order. Ids absent from the evaluation, and
    /// empty curves, are skipped.
    /// </summary>
    public static IReadOnlyList<ErrorCurve> ForEvaluation(
        IReadOnlyDictionary<string, PositionStats> evaluation, PlotSettings settings, IReadOnlyList<string>? models = null) =>
        (models ?? evaluation.Keys.ToList())
            .Where(evaluation.ContainsKey)
            .Distinct()
            .Select(id => From(id, evaluation[id], settings))
            .Where(curve => curve.Mean.Length > 0)
            .ToList();
}
