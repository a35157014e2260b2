using InContext.Evaluation;

namespace InContext.Reports;

/// <summary>
/// One model's error on one evaluation as plotted and tabulated: squared error divided by the
/// task's normaliser, cut to the positions worth showing. Index k = k in-context examples.
/// </summary>
public sealed record ErrorCurve(string ModelId, double[] Mean, double[] Low, double[] High)
{
    /// <summary>The curve of one model's <paramref name="stats"/>, divided and cut as <paramref name="settings"/> say.</summary>
    /// <param name="modelId">The model's id in the metrics.</param>
    /// <param name="stats">The model's error per position, with its bootstrap band.</param>
    /// <param name="settings">What to divide by (unless <paramref name="divisors"/> says) and how many positions to keep.</param>
    /// <param name="divisors">Per position, what to divide by (predicting 0's error); null: the settings' normaliser.</param>
    public static ErrorCurve From(string modelId, PositionStats stats, PlotSettings settings, double[]? divisors = null)
    {
        int n = new[] { stats.Mean.Length, stats.BootstrapLow.Length, stats.BootstrapHigh.Length, settings.MaxPositions, divisors?.Length ?? int.MaxValue }.Min();
        double[] Scale(double[] values) => values.Take(n).Select((v, k) => v / (divisors?[k] ?? settings.Normaliser)).ToArray();
        return new ErrorCurve(modelId, Scale(stats.Mean), Scale(stats.BootstrapLow), Scale(stats.BootstrapHigh));
    }

    /// <summary>
    /// Whether <paramref name="evaluation"/> can be shown with <paramref name="settings"/>: relative to
    /// zero only when the <c>zero</c> learner was evaluated in it (an evaluation run before
    /// <c>--relative-to-zero</c> was asked for lacks it; figures, tables and reports leave it out).
    /// </summary>
    public static bool CanShow(IReadOnlyDictionary<string, PositionStats> evaluation, PlotSettings settings) =>
        !settings.RelativeToZero || evaluation.ContainsKey(Baselines.ZeroPredictor.Id);

    /// <summary>The one line for errors relative to zero where no evaluation has the <c>zero</c> learner's.</summary>
    public static ReportInputException NoZero() =>
        new($"no errors of the '{Baselines.ZeroPredictor.Id}' learner to measure against: evaluate with it (--relative-to-zero adds it)");

    /// <summary>
    /// The curves of one evaluation, for the models in <paramref name="models"/> (in that order)
    /// or, without a filter, for every model in the file's order. Ids absent from the evaluation, and
    /// empty curves, are skipped. Relative to zero, each is divided by the <c>zero</c> learner's
    /// error at each position, and that learner's own curve (1 everywhere) is left out.
    /// </summary>
    public static IReadOnlyList<ErrorCurve> ForEvaluation(
        IReadOnlyDictionary<string, PositionStats> evaluation, PlotSettings settings, IReadOnlyList<string>? models = null)
    {
        double[]? divisors = null;
        if (settings.RelativeToZero)
        {
            if (!evaluation.TryGetValue(Baselines.ZeroPredictor.Id, out var zero)) throw NoZero();
            divisors = zero.Mean;
        }
        return (models ?? evaluation.Keys.ToList())
            .Where(evaluation.ContainsKey)
            .Where(id => !settings.RelativeToZero || id != Baselines.ZeroPredictor.Id)
            .Distinct()
            .Select(id => From(id, evaluation[id], settings, divisors))
            .Where(curve => curve.Mean.Length > 0)
            .ToList();
    }
}
