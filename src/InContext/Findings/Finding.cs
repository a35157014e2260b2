using System.Globalization;
using InContext.Evaluation;
using InContext.Reports;

namespace InContext.Findings;

/// <summary>Where a comparison reads the error curves: after d/2, d or 2d examples, or at the last position.</summary>
public enum ExamplesAt
{
    /// <summary>After d/2 examples.</summary>
    HalfD,
    /// <summary>After d examples.</summary>
    D,
    /// <summary>After 2d examples.</summary>
    TwiceD,
    /// <summary>At the last position of the curves.</summary>
    Last,
}

/// <summary>How a model's error must stand against the others'.</summary>
public enum Relation
{
    /// <summary>Below every other (strictly).</summary>
    Below,
    /// <summary>Within the tolerance of the best (lowest) other, either way.</summary>
    Within,
    /// <summary>At most the tolerance above the best (lowest) other.</summary>
    AtMostAbove,
}

/// <summary>
/// One comparison a finding rests on, e.g. "the transformer is within 0.1 of least squares after
/// d examples": <see cref="Model"/>'s normalised error against the best of <see cref="Others"/> at
/// <see cref="At"/>, on the <c>standard</c> evaluation.
/// </summary>
public sealed record Condition(string Model, Relation Relation, IReadOnlyList<string> Others, ExamplesAt At, double Tolerance = 0)
{
    /// <summary>The position (number of examples) the condition reads for a run of <paramref name="nDims"/> dims whose curves have <paramref name="positions"/> positions.</summary>
    public int K(int nDims, int positions) => At switch
    {
        ExamplesAt.HalfD => nDims / 2,
        ExamplesAt.D => nDims,
        ExamplesAt.TwiceD => 2 * nDims,
        _ => positions - 1,
    };

    /// <summary>The condition in words at <paramref name="k"/> examples, e.g. "Transformer within 0.1 of Least Squares after 10 examples".</summary>
    public string Describe(int k)
    {
        var others = Others.Count == 1 ? ModelDisplay.Name(Others[0]) : "the best of " + string.Join(", ", Others.Select(ModelDisplay.Name));
        var tolerance = Tolerance.ToString("G3", CultureInfo.InvariantCulture);
        return Relation switch
        {
            Relation.Below => $"{ModelDisplay.Name(Model)} below {others} after {k} examples",
            Relation.Within => $"{ModelDisplay.Name(Model)} within {tolerance} of {others} after {k} examples",
            _ => $"{ModelDisplay.Name(Model)} at most {tolerance} above {others} after {k} examples",
        };
    }
}

/// <summary>One condition as measured: the numbers it compared, the evaluation's bootstrap 90% interval of the model's error (<paramref name="Low"/> to <paramref name="High"/>), and whether it held.</summary>
public sealed record Check(string Description, double Value, double Other, string OtherModel, bool Holds, double Low = double.NaN, double High = double.NaN);

/// <summary>A finding's verdict on one run: every condition's numbers, and whether all held.</summary>
public sealed record Verdict(IReadOnlyList<Check> Checks)
{
    /// <summary>Whether every condition held (false when there are none).</summary>
    public bool Holds => Checks.Count > 0 && Checks.All(c => c.Holds);
}

/// <summary>How a finding stands over several seeds.</summary>
public enum Outcome
{
    /// <summary>The rule holds for every seed.</summary>
    Holds,
    /// <summary>It holds for some seeds and not for others.</summary>
    Mixed,
    /// <summary>It holds for no seed.</summary>
    DoesNotHold,
}

/// <summary>
/// A finding's verdict over seeds, by a rule fixed before any result was seen: it <b>holds</b> when
/// its rule (every condition) holds for every seed, is <b>mixed (m of n)</b> when it holds for some,
/// and <b>does not hold</b> when it holds for none. One seed decides nothing alone, and says so.
/// </summary>
public sealed record SeedVerdict(IReadOnlyList<long> Seeds, IReadOnlyList<Verdict> PerSeed)
{
    /// <summary>How many seeds the rule holds for.</summary>
    public int Holding => PerSeed.Count(v => v.Holds);

    /// <summary>Holds, mixed or does not hold.</summary>
    public Outcome Outcome => Holding == PerSeed.Count && PerSeed.Count > 0 ? Outcome.Holds : Holding == 0 ? Outcome.DoesNotHold : Outcome.Mixed;

    /// <summary>The verdict in words, e.g. "holds (3 of 3 seeds)", "mixed (2 of 3 seeds)", "holds for its one seed (one seed decides nothing: --seeds 0,1,2)".</summary>
    public string Describe() => PerSeed.Count == 1
        ? $"{(Outcome == Outcome.Holds ? "holds" : "does not hold")} for its one seed (one seed decides nothing: --seeds 0,1,2)"
        : Outcome switch
        {
            Outcome.Holds => $"holds ({Holding} of {PerSeed.Count} seeds)",
            Outcome.Mixed => $"mixed ({Holding} of {PerSeed.Count} seeds)",
            _ => $"does not hold (0 of {PerSeed.Count} seeds)",
        };
}

/// <summary>
/// One of the paper's findings as a claim and the comparisons that decide it (stated before any
/// result was seen), with the CPU-scale experiment that tests it (an embedded config).
/// </summary>
public sealed record Finding(string Name, string Claim, IReadOnlyList<Condition> Conditions)
{
    /// <summary>
    /// Decides the finding from a run's metrics (the <c>standard</c> evaluation, errors normalised as
    /// <paramref name="settings"/> says): the same code for every finding.
    /// </summary>
    public Verdict Decide(MetricsFile metrics, PlotSettings settings)
    {
        if (!metrics.Evaluations.TryGetValue("standard", out var standard))
            throw new InputException($"{Name}: its metrics have no 'standard' evaluation");
        var curves = ErrorCurve.ForEvaluation(standard, settings with { MaxPositions = int.MaxValue }).ToDictionary(c => c.ModelId);
        var positions = curves.Values.Max(c => c.Mean.Length);
        double Error(string model, int k) => curves.TryGetValue(model, out var c) && k < c.Mean.Length ? c.Mean[k]
            : throw new InputException($"{Name}: no error of {model} after {k} examples in its metrics");
        var checks = new List<Check>();
        foreach (var condition in Conditions)
        {
            var k = condition.K(settings.NDims, positions);
            var value = Error(condition.Model, k);
            var (other, otherModel) = condition.Others.Select(m => (Error(m, k), m)).MinBy(t => t.Item1);
            var holds = condition.Relation switch
            {
                Relation.Below => condition.Others.All(m => value < Error(m, k)),
                Relation.Within => Math.Abs(value - other) <= condition.Tolerance,
                _ => value <= other + condition.Tolerance,
            };
            var own = curves[condition.Model];
            checks.Add(new Check(condition.Describe(k), value, other, otherModel, holds, own.Low[k], own.High[k]));
        }
        return new Verdict(checks);
    }
}
