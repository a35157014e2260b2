using System.Globalization;
using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Models;
using InContext.Reports;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Probing;

/// <summary>
/// One distribution shift varied over a range of strengths (<c>icl probe --scale-x 0.25:4:9</c>,
/// <c>icl limits</c>): a probe at each strength, on the very prompts of the seed, so that a sweep's
/// point equals the single probe at that value. <see cref="Parameter"/> names the
/// <see cref="ProbeOptions"/> member in snake case (<c>scale_x</c>, <c>noise</c>, <c>points</c>...).
/// </summary>
public sealed record ShiftSweep(string Parameter, IReadOnlyList<double> Values)
{
    /// <summary>The parameters a sweep can vary; the multiplicative ones are spaced geometrically.</summary>
    public static readonly IReadOnlyList<string> Parameters = ["scale_x", "scale_y", "noise", "bias", "points", "n_dims", "skew", "off_span"];
    static readonly HashSet<string> Geometric = ["scale_x", "scale_y", "skew"];

    /// <summary>Whether the values are spaced geometrically (scales, condition numbers): a figure draws them on a log axis.</summary>
    public bool IsGeometric => Geometric.Contains(Parameter);
    static readonly HashSet<string> Whole = ["points", "n_dims"];

    /// <summary>
    /// A value, or a range <c>start:end:count</c> of <c>count</c> values from start to end: spaced
    /// geometrically for the multiplicative parameters (scales, skew), evenly for the others, rounded
    /// (and repeats dropped) for the whole-numbered ones. Refused as <paramref name="parameter"/> otherwise.
    /// </summary>
    public static ShiftSweep Parse(string parameter, string text)
    {
        if (!Parameters.Contains(parameter)) throw new ArgumentException($"unknown sweep parameter {parameter}", nameof(parameter));
        ParameterException Bad(string why) => new(parameter, $"{Printable.Escape(text)}: {why}");
        static double? Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
        var parts = text.Split(':');
        double[] values;
        if (parts.Length == 1)
            values = [Number(parts[0]) ?? throw Bad("expected a number, or start:end:count")];
        else if (parts.Length == 3)
        {
            var (a, b) = (Number(parts[0]) ?? throw Bad("start is not a number"), Number(parts[1]) ?? throw Bad("end is not a number"));
            if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 2 || count > 100)
                throw Bad("count must be a whole number from 2 to 100");
            var geometric = Geometric.Contains(parameter);
            if (geometric && !(a > 0 && b > 0)) throw Bad("a range of scales runs between positive numbers");
            values = Enumerable.Range(0, count).Select(i => geometric
                ? a * Math.Pow(b / a, (double)i / (count - 1))
                : a + (b - a) * i / (count - 1)).ToArray();
        }
        else throw Bad("expected a number, or start:end:count (e.g. 0.25:4:9)");
        if (Whole.Contains(parameter)) values = values.Select(v => Math.Round(v)).Distinct().ToArray();
        return new ShiftSweep(parameter, values.Select(v => Math.Round(v, 6)).ToList());
    }

    /// <summary>Whether the sweep has more than one value.</summary>
    public bool IsRange => Values.Count > 1;

    /// <summary>The probe options with this sweep's parameter set to <paramref name="value"/>.</summary>
    public ProbeOptions Apply(ProbeOptions options, double value) => Parameter switch
    {
        "scale_x" => options with { ScaleX = value },
        "scale_y" => options with { ScaleY = value },
        "noise" => options with { Noise = value },
        "bias" => options with { Bias = value },
        "points" => options with { Points = (int)value },
        "n_dims" => options with { NDims = (int)value },
        "skew" => options with { Skew = value },
        "off_span" => options with { OffSpan = value },
        _ => throw new InvalidOperationException(Parameter),
    };

    /// <summary>
    /// Probes the run at every value (with the <c>zero</c> learner, to measure errors against
    /// predicting 0 under each shift); the model is loaded once. Every value is checked before the first probe runs.
    /// </summary>
    public IReadOnlyList<(double Value, ProbeResult Result)> Run(RunFolder run, ProbeOptions options, EvaluationSettings settings,
        IReadOnlyList<string>? models = null, Device? device = null, int? step = null, Action<double, EvaluationProgress>? progress = null) =>
        Run([run], options, settings, models, device, step, progress);

    /// <summary>The sweep over several runs of one config (a pack's seeds): at each value the seeds' mean beside each seed (<see cref="Probe.Run(IReadOnlyList{RunFolder}, ProbeOptions, EvaluationSettings?, IReadOnlyList{string}?, Device?, int?, Action{EvaluationProgress}?, bool)"/>); each model loaded once.</summary>
    public IReadOnlyList<(double Value, ProbeResult Result)> Run(IReadOnlyList<RunFolder> runs, ProbeOptions options, EvaluationSettings settings,
        IReadOnlyList<string>? models = null, Device? device = null, int? step = null, Action<double, EvaluationProgress>? progress = null)
    {
        var loaded = Probe.Load(runs, device, step);
        try { return Run(loaded, options, settings, models, progress); }
        finally { Probe.Unload(loaded); }
    }

    /// <summary>The fewest points any of the sweep's prompts have (a sweep of <c>points</c> varies them); refused as <see cref="Probe.Build"/> refuses a value out of range.</summary>
    public int FewestPoints(RunConfig config, ProbeOptions options, long seed = 0) =>
        Values.Min(v => Probe.Build(config, Apply(options, v), seed).problem.NPoints);

    /// <summary>The same sweep with the run's config and model already loaded (the limitation map sweeps several shifts with one model).</summary>
    public IReadOnlyList<(double Value, ProbeResult Result)> Run(RunConfig config, IPredictor model, ProbeOptions options, EvaluationSettings settings,
        IReadOnlyList<string>? models = null, Action<double, EvaluationProgress>? progress = null) =>
        Run([(config, model, "")], options, settings, models, progress);

    /// <summary>The same sweep with several runs' configs and models already loaded.</summary>
    public IReadOnlyList<(double Value, ProbeResult Result)> Run(IReadOnlyList<(RunConfig Config, IPredictor Model, string Label)> runs, ProbeOptions options, EvaluationSettings settings,
        IReadOnlyList<string>? models = null, Action<double, EvaluationProgress>? progress = null)
    {
        foreach (var v in Values) Probe.Build(runs[0].Config, Apply(options, v), settings.Seed);
        return Values.Select(v => (v, Probe.Run(runs, Apply(options, v), settings, models, p => progress?.Invoke(v, p), withZero: true))).ToList();
    }
}

/// <summary>
/// What a sweep shows at one strength: errors relative to predicting 0 under that shift, after
/// d and 2d examples (d the run's dims), of the transformer, least squares and the best baseline
/// (the lowest of the classical learners there).
/// </summary>
/// <remarks>Prompts shorter than 2d + 1 points are read at their last position instead (<see cref="KAt2D"/>), and likewise for d.</remarks>
public sealed record ShiftPoint(double Value, double TransformerAtD, double TransformerAt2D, double LeastSquaresAtD, double LeastSquaresAt2D,
    double BestAtD, string BestAtDModel, double BestAt2D, string BestAt2DModel, int KAtD = 0, int KAt2D = 0,
    IReadOnlyList<double>? SeedsAtD = null, IReadOnlyList<double>? SeedsAt2D = null)
{
    /// <summary>Errors below this share of predicting 0's count as solved: no learner "breaks" against an exact one.</summary>
    public const double Solved = 0.05;

    /// <summary>The errors after d examples (or the last position of shorter prompts).</summary>
    public ShiftErrors AtD => new(KAtD, TransformerAtD, LeastSquaresAtD, BestAtD, BestAtDModel, SeedsAtD);
    /// <summary>The errors after 2d examples (or the last position of shorter prompts).</summary>
    public ShiftErrors At2D => new(KAt2D, TransformerAt2D, LeastSquaresAt2D, BestAt2D, BestAt2DModel, SeedsAt2D);

    /// <summary>Whether the transformer errs more than twice the best baseline (and is not itself solving the task) after k = d or 2d examples.</summary>
    public bool BreaksAtD => TransformerAtD > 2 * BestAtD && TransformerAtD > Solved;
    /// <summary>Whether the transformer errs more than twice the best baseline (and is not itself solving the task) after 2d examples.</summary>
    public bool BreaksAt2D => TransformerAt2D > 2 * BestAt2D && TransformerAt2D > Solved;

    /// <summary>The point of strength <paramref name="value"/> from a probe's result (which must include the <c>zero</c> learner) on a run of <paramref name="nDims"/> dims.</summary>
    public static ShiftPoint From(double value, ProbeResult result, int nDims)
    {
        var ks = ShiftErrors.AtDAnd2D(result, nDims);
        var (d, d2) = (ShiftErrors.At(result, ks[0]), ShiftErrors.At(result, ks[1]));
        return new ShiftPoint(value, d.Transformer, d2.Transformer, d.LeastSquares, d2.LeastSquares, d.Best, d.BestModel, d2.Best, d2.BestModel, d.K, d2.K, d.Seeds, d2.Seeds);
    }
}

/// <summary>
/// Errors relative to predicting 0 (under the same shift) after <see cref="K"/> in-context examples:
/// the transformer's, least squares' and the best classical learner's (the lowest of the baselines
/// there, named by <see cref="BestModel"/>); NaN where a model was not evaluated. For several runs
/// (a pack's seeds) <see cref="Transformer"/> is the seeds' mean, and <see cref="Seeds"/> each seed's.
/// </summary>
public sealed record ShiftErrors(int K, double Transformer, double LeastSquares, double Best, string BestModel, IReadOnlyList<double>? Seeds = null)
{
    /// <summary>The seeds' standard deviation of the transformer's error (NaN for one run).</summary>
    public double TransformerSd => Seeds is { Count: > 1 } s ? Evaluation.SeedSpread.StandardDeviation(s) : double.NaN;

    /// <summary>The transformer's error as a table shows it: "0.180", or for seeds "0.180 ± 0.012".</summary>
    public string TransformerText => double.IsFinite(TransformerSd)
        ? $"{Transformer.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)} ± {TransformerSd.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}"
        : Transformer.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The errors after <paramref name="k"/> examples in a probe's result (which must include the <c>zero</c> learner).</summary>
    public static ShiftErrors At(ProbeResult result, int k)
    {
        var errors = result.Errors;
        var zero = errors[ZeroPredictor.Id].Mean;
        double Of(string model) => errors.TryGetValue(model, out var e) && k < e.Mean.Length && k < zero.Length ? e.Mean[k] / zero[k] : double.NaN;
        // The classical learners: not the transformer, not predicting 0, not one seed's entry of a run's own model.
        var (best, bestModel) = errors.Keys.Where(m => m is not (InContextTransformer.Id or ZeroPredictor.Id) && !m.Contains(Evaluation.SeedSpread.Mark))
            .Select(m => (Of(m), m)).Where(t => double.IsFinite(t.Item1)).DefaultIfEmpty((double.NaN, "")).MinBy(t => t.Item1);
        var seeds = errors.Keys.Where(m => m.StartsWith(InContextTransformer.Id + Evaluation.SeedSpread.Mark, StringComparison.Ordinal)).Select(Of).ToList();
        return new ShiftErrors(k, Of(InContextTransformer.Id), Of(Baselines.LeastSquares.Id), best, bestModel, seeds.Count > 0 ? seeds : null);
    }

    /// <summary>
    /// A sweep's table, a row per strength: the errors after each number of examples in
    /// <paramref name="columns"/> (the same for every row: 'all' and the numbers asked for reach only
    /// the positions of the sweep's shortest prompts, a number past them refused as the parameter
    /// <c>k</c>); without columns, after d and 2d examples (<paramref name="nDims"/> the run's dims),
    /// each row read at its last position where its prompts are shorter than that (<see cref="ShiftPoint"/>).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ShiftErrors>> Table(IReadOnlyList<(double Value, ProbeResult Result)> sweep, int nDims, ExampleColumns? columns)
    {
        var fewest = sweep.Min(r => r.Result.Problem.NPoints);
        var asked = columns?.Within(fewest).For(nDims, fewest);
        return sweep.Select(r => (IReadOnlyList<ShiftErrors>)(asked ?? AtDAnd2D(r.Result, nDims)).Select(k => At(r.Result, k)).ToList()).ToList();
    }

    /// <summary>d and 2d examples, each at most the last position of the result's prompts.</summary>
    internal static int[] AtDAnd2D(ProbeResult result, int nDims)
    {
        var last = result.Errors[ZeroPredictor.Id].Mean.Length - 1;
        return [Math.Min(nDims, last), Math.Min(2 * nDims, last)];
    }
}
