using System.Globalization;
using System.Text;
using InContext.Reports;

namespace InContext.Identification;

/// <summary>
/// One reference learner beside the model, per number of in-context examples k (index k):
/// the squared prediction difference (SPD), the learner's own error, and the implicit linear
/// weight difference (ILWD; null when the task is not linear). SPD, errors and ILWD are divided by
/// the task's error normaliser (d for linear tasks: predicting 0 errs by d, and <c>E|w|² = d</c>).
/// </summary>
/// <param name="Id">The learner's id (as metrics.json names it).</param>
/// <param name="Family">The learner's family (<see cref="ReferenceLearners.Family"/>).</param>
/// <param name="Spd">Mean over prompts of <c>(T(D)(x) − A(D)(x))²</c> at the query after k examples, normalised.</param>
/// <param name="Error">The learner's own metric after k examples, normalised.</param>
/// <param name="Ilwd">Mean over prompts of <c>|ŵ_T − ŵ_A|²</c> after k examples, normalised; null where not measured.</param>
public sealed record LearnerComparison(string Id, string Family, double[] Spd, double[] Error, double[]? Ilwd);

/// <summary>
/// Which learning algorithm a model's in-context predictions match (<c>icl identify</c>): for each
/// number of examples k, the model's own error, every reference learner's SPD and ILWD to it, and
/// the R² of the linear fit of the model's in-context function (how linear it is).
/// </summary>
/// <param name="Evaluation">The evaluation's name (<c>standard</c>, <c>scale-x=3</c>, ...).</param>
/// <param name="Task">The evaluated task, described.</param>
/// <param name="ActiveDims">The input dims that carry values (ŵ has this many).</param>
/// <param name="Prompts">How many prompts every number is a mean over.</param>
/// <param name="Queries">Query points per context the implicit weights are fitted at (0 when not measured).</param>
/// <param name="MetricName">The task's metric (the model's and learners' errors).</param>
/// <param name="Normaliser">What SPD, errors and ILWD were divided by.</param>
/// <param name="ModelError">The model's own metric after k examples, normalised.</param>
/// <param name="Learners">Every reference learner, in the grid's order.</param>
/// <param name="RSquared">
/// The adjusted R² of the affine fit of the model's answers at the query points, pooled over prompts:
/// <c>1 − (ΣRSS / (M − p − 1)) / (ΣTSS / (M − 1))</c> with p = active dims: 1 for a linear function,
/// about 0 for one no linear function explains (plain R² would be about p / M there). NaN where the
/// model's function is constant (k = 0 for a learner that predicts 0); null where not measured.
/// </param>
/// <param name="NotLinear">Why ILWD and R² were not measured (a task without linear structure); null when they were.</param>
public sealed record IdentificationResult(
    string Evaluation, string Task, int ActiveDims, int Prompts, int Queries, string MetricName, double Normaliser,
    double[] ModelError, IReadOnlyList<LearnerComparison> Learners, double[]? RSquared, string? NotLinear)
{
    /// <summary>Positions: 0 to <c>Positions − 1</c> examples.</summary>
    public int Positions => ModelError.Length;

    /// <summary>
    /// Differences this small (in normalised units) are float32 rounding, not another algorithm: among
    /// learners within it of the least, the first in the grid's order is named (after one example,
    /// gradient descent's many steps and least squares are the same function).
    /// </summary>
    public const double Tie = 1e-9;

    /// <summary>The learner whose predictions are closest to the model's after k examples (least SPD; near ties go to the grid's order).</summary>
    public LearnerComparison ClosestBySpd(int k) => Closest(l => l.Spd[k]);

    /// <summary>The learner whose weights are closest to the model's implicit ones after k examples (least ILWD); null when ILWD was not measured.</summary>
    public LearnerComparison? ClosestByIlwd(int k) => RSquared is null ? null : Closest(l => l.Ilwd![k]);

    LearnerComparison Closest(Func<LearnerComparison, double> value)
    {
        var least = Learners.Select(value).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        return Learners.FirstOrDefault(l => value(l) <= least + Tie) ?? Learners[0];
    }

    /// <summary>The learner of id <paramref name="id"/>, null when not in the grid.</summary>
    public LearnerComparison? Learner(string id) => Learners.FirstOrDefault(l => l.Id == id);

    /// <summary>Per family, the least SPD (or ILWD) of its members at each k, in the grid's order of families.</summary>
    public IReadOnlyList<(string Family, double[] Values)> BestOfFamilies(bool ilwd)
    {
        if (ilwd && RSquared is null) return [];
        return Learners.GroupBy(l => l.Family).Select(g => (g.Key, Enumerable.Range(0, Positions)
            .Select(k => g.Min(l => ilwd ? l.Ilwd![k] : l.Spd[k])).ToArray())).ToList();
    }

    /// <summary>
    /// The table: a row per k (those of <paramref name="columns"/>, or every k): the model's error, the
    /// closest learner by SPD with its SPD and its own error, the closest by ILWD with its ILWD, and R².
    /// </summary>
    public ReportTable Table(string runName, ExampleColumns? columns = null)
    {
        var ks = (columns ?? ExampleColumns.All).For(ActiveDims, Positions);
        var header = new List<string> { "k", $"model {MetricName}", "closest (SPD)", "SPD", $"its {MetricName}" };
        if (RSquared is not null) header.AddRange(["closest (ILWD)", "ILWD", "R² of linear fit"]);
        var rows = ks.Select(k =>
        {
            var best = ClosestBySpd(k);
            var row = new List<string> { k.ToString(CultureInfo.InvariantCulture), F(ModelError[k]), best.Id, F(best.Spd[k]), F(best.Error[k]) };
            if (ClosestByIlwd(k) is { } w) row.AddRange([w.Id, F(w.Ilwd![k]), F(RSquared![k])]);
            return (IReadOnlyList<string>)row;
        }).ToList();
        return new ReportTable($"{runName}: {Evaluation}, {Task}: which learner the model matches (SPD, ILWD and errors divided by {Normaliser.ToString("G3", CultureInfo.InvariantCulture)}; {Prompts} prompts"
                               + (Queries > 0 ? $", {Queries} queries per context)" : ")"), header, rows);
    }

    /// <summary>Every number, one row per (k, learner): <c>k,learner,family,spd,error,ilwd,model_error,r_squared</c>.</summary>
    public string Csv()
    {
        var csv = new StringBuilder("k,learner,family,spd,error,ilwd,model_error,r_squared\n");
        for (var k = 0; k < Positions; k++)
            foreach (var l in Learners)
                csv.AppendLine(string.Join(",", k, l.Id, Quote(l.Family), G(l.Spd[k]), G(l.Error[k]), l.Ilwd is null ? "" : G(l.Ilwd[k]),
                    G(ModelError[k]), RSquared is null ? "" : G(RSquared[k])));
        return csv.ToString();
    }

    static string Quote(string s) => s.Contains(',') ? $"\"{s}\"" : s;
    static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    /// <summary>A number as tables show it: three significant digits, "–" for NaN.</summary>
    public static string F(double v) => double.IsNaN(v) ? "–" : Math.Abs(v) >= 1e-3 || v == 0 ? v.ToString("F3", CultureInfo.InvariantCulture) : v.ToString("0.0e0", CultureInfo.InvariantCulture);
}
