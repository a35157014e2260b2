using System.Globalization;

namespace InContext.Reports;

/// <summary>
/// The numbers behind a figure at a few telling points: each model's normalised error after 1,
/// d/2, d and 2d in-context examples (those the curves reach), or at the numbers asked, with the
/// best of each column known (the lowest error, or the highest accuracy). The console's tables
/// and the report's are this one table.
/// </summary>
public sealed class ErrorTable
{
    /// <summary>Numbers of in-context examples, ascending.</summary>
    public IReadOnlyList<int> Columns { get; }
    /// <summary>The curves, one row each, in the order given.</summary>
    public IReadOnlyList<ErrorCurve> Curves { get; }
    /// <summary>How the curves' values are labelled and which direction is better.</summary>
    public PlotSettings Settings { get; }
    readonly double[] best;

    /// <summary>The table of <paramref name="curves"/> at the chosen numbers of examples.</summary>
    /// <param name="curves">The rows, in order.</param>
    /// <param name="settings">The run's plot settings: its dims (for d/2, d, 2d) and the metric's direction.</param>
    /// <param name="columns">The numbers of examples to show; null for 1, d/2, d and 2d.</param>
    /// <param name="withLast">With the telling columns, also the last position (as the console shows them).</param>
    public ErrorTable(IReadOnlyList<ErrorCurve> curves, PlotSettings settings, ExampleColumns? columns = null, bool withLast = false)
    {
        Curves = curves;
        Settings = settings;
        int positions = curves.Count == 0 ? 0 : curves.Max(c => c.Mean.Length);
        Columns = (columns ?? ExampleColumns.Telling).For(settings.NDims, positions, withLast);
        best = Columns.Select(k => Best(curves.Select(c => Value(c, k)), settings.HigherIsBetter)).ToArray();
    }

    /// <summary>The best of some values (the highest when higher is better, else the lowest), ignoring missing ones; NaN when none.</summary>
    public static double Best(IEnumerable<double?> values, bool higherIsBetter)
    {
        var present = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return present.Count == 0 ? double.NaN : higherIsBetter ? present.Max() : present.Min();
    }

    /// <summary>The curve's mean at <paramref name="examples"/> examples, null where the curve stops earlier.</summary>
    public static double? Value(ErrorCurve curve, int examples) =>
        examples < curve.Mean.Length && double.IsFinite(curve.Mean[examples]) ? curve.Mean[examples] : null;

    /// <summary>Whether <paramref name="curve"/> has the best value of column <paramref name="column"/> (ties all count).</summary>
    public bool IsBest(ErrorCurve curve, int column) => Value(curve, Columns[column]) == best[column];

    /// <summary>Three significant digits, culture-free: small errors stay distinguishable.</summary>
    public static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>What the values are, for a caption: <c>squared error (normalised) after k in-context examples; lowest in bold</c>.</summary>
    public string Caption => $"{Settings.ValueLabel} after k in-context examples; {(Settings.HigherIsBetter ? "highest" : "lowest")} in bold";
}
