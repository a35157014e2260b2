using System.Globalization;

namespace InContext.Reports;

/// <summary>
/// The numbers behind a figure at a few telling points: the normalised error of each model
/// after 1, d/2, d and 2d in-context examples (those the curves reach), with the lowest of
/// each column known, for the report to mark.
/// </summary>
public sealed class ErrorTable
{
    /// <summary>Numbers of in-context examples, ascending.</summary>
    public IReadOnlyList<int> Columns { get; }
    public IReadOnlyList<ErrorCurve> Curves { get; }
    readonly double[] best;

    public ErrorTable(IReadOnlyList<ErrorCurve> curves, int nDims)
    {
        Curves = curves;
        int positions = curves.Count == 0 ? 0 : curves.Max(c => c.Mean.Length);
        Columns = new[] { 1, nDims / 2, nDims, 2 * nDims }.Where(k => k >= 0 && k < positions).Distinct().Order().ToList();
        best = Columns.Select(k => curves.Select(c => Value(c, k)).Where(v => v.HasValue).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Min()).ToArray();
    }

    /// <summary>The curve's mean at <paramref name="examples"/> examples, null where the curve stops earlier.</summary>
    public static double? Value(ErrorCurve curve, int examples) =>
        examples < curve.Mean.Length && double.IsFinite(curve.Mean[examples]) ? curve.Mean[examples] : null;

    /// <summary>Whether <paramref name="curve"/> has the lowest value of column <paramref name="column"/> (ties all count).</summary>
    public bool IsBest(ErrorCurve curve, int column) => Value(curve, Columns[column]) == best[column];

    /// <summary>Three significant digits, culture-free: small errors stay distinguishable.</summary>
    public static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
