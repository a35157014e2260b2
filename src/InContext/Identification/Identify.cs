using System.Globalization;
using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Probing;
using InContext.Storage;
using static TorchSharp.torch;

namespace InContext.Identification;

/// <summary>
/// How identify reads a model: <paramref name="Prompts"/> (how many, in what batches, from which
/// seed: the very prompts <c>eval</c> and <c>probe</c> draw from that seed), and how many fresh query
/// points per context the implicit weights are fitted at (null: 4 × the active dims).
/// </summary>
public sealed record IdentifySettings(EvaluationSettings Prompts, int? Queries = null)
{
    /// <summary>Query points per context for <paramref name="dims"/> active dims.</summary>
    public int QueriesFor(int dims) => Queries ?? 4 * dims;
}

/// <summary>
/// Names the learning algorithm a model runs in context (<c>icl identify</c>), by the methods of
/// Akyürek et al. (2023), "What learning algorithm is in-context learning?": on the prompts of an
/// evaluation (the run's own distribution, or a shift given as <c>probe</c> takes it), for each number
/// of examples k,
/// <list type="bullet">
/// <item>SPD, the squared prediction difference between the model and each reference learner
/// (<see cref="ReferenceLearners"/>) at the query after k examples, averaged over prompts;</item>
/// <item>for linear tasks, ILWD: after the same k-example context the model answers M fresh queries
/// (drawn as the evaluation draws inputs), ŵ is fitted to its answers by least squares
/// (<see cref="ImplicitWeights"/>), and compared with each learner's w on that context;</item>
/// <item>and the adjusted R² of that fit, how linear the model's in-context function is.</item>
/// </list>
/// </summary>
public static class Identify
{
    /// <summary>Identifies a run's transformer under <paramref name="shift"/> (none: its training distribution).</summary>
    public static IdentificationResult Run(RunFolder run, ProbeOptions shift, IdentifySettings settings, Device? device = null,
        int? step = null, Action<EvaluationProgress>? progress = null)
    {
        var config = run.LoadConfig();
        Check(config, shift, settings);
        using var model = run.LoadModel(device, step);
        return Run(config, model, shift, settings, progress);
    }

    /// <summary>Identifies an already loaded model of the run with <paramref name="config"/> against the run's reference learners.</summary>
    public static IdentificationResult Run(RunConfig config, IPredictor model, ProbeOptions shift, IdentifySettings settings,
        Action<EvaluationProgress>? progress = null)
    {
        var (spec, problem) = Probe.Build(config, shift, settings.Prompts.Seed);
        return Run(model, spec, problem.NPoints, ReferenceLearners.For(config), settings, progress);
    }

    /// <summary>
    /// Checks what identify will ask before any work: the shift (as <c>probe</c> checks it) and the
    /// number of query points (at least 2 × the active dims, and d + 2, so the fit of ŵ and a constant is overdetermined);
    /// refused as the parameters <c>queries</c>, <c>examples</c> or the shift's.
    /// </summary>
    public static void Check(RunConfig config, ProbeOptions shift, IdentifySettings settings)
    {
        var (spec, _) = Probe.Build(config, shift, settings.Prompts.Seed);
        if (settings.Prompts.NumExamples < 1) throw new ParameterException("examples", $"{settings.Prompts.NumExamples}: must be at least 1");
        var least = Math.Max(2 * spec.Dims, spec.Dims + 2);
        if (settings.Queries is { } m && m < least)
            throw new ParameterException("queries", $"{m}: at least {(least == 2 * spec.Dims ? $"2 × the {spec.Dims} active dims = {least}" : $"{least} for {spec.Dims} active dim")}, so that the fit of ŵ (and a constant) is overdetermined");
    }

    /// <summary>The identification of any <paramref name="model"/> on the prompts of <paramref name="spec"/> (<paramref name="nPoints"/> points) against <paramref name="learners"/>.</summary>
    public static IdentificationResult Run(IPredictor model, EvaluationSpec spec, int nPoints, IReadOnlyList<IPredictor> learners,
        IdentifySettings settings, Action<EvaluationProgress>? progress = null)
    {
        var task = spec.Task;
        var dims = spec.Dims;
        var m = settings.QueriesFor(dims);
        var prompts = settings.Prompts;
        var linear = task.IsLinear;
        var n = nPoints;
        var modelError = new double[n];
        var spd = learners.Select(_ => new double[n]).ToArray();
        var error = learners.Select(_ => new double[n]).ToArray();
        var ilwd = learners.Select(_ => new double[n]).ToArray();
        var (rss, tss) = (new double[n], new double[n]);
        for (var batch = 0; batch < prompts.Batches; batch++)
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(Seeds.Batch(prompts.Seed, batch));
            using var drawn = spec.Draw(n, prompts.Size(batch), g);
            var targets = drawn.Targets.to(float64);
            var answers = drawn.Predict(model).cpu().to(float64);
            Add(modelError, task.Metric(answers, targets));
            for (var l = 0; l < learners.Count; l++)
            {
                var theirs = drawn.Predict(learners[l]).cpu().to(float64);
                Add(spd[l], (answers - theirs).square());
                Add(error[l], task.Metric(theirs, targets));
            }
            if (linear)
            {
                using var queryGenerator = new Generator(Seeds.ImplicitWeightQueries(prompts.Seed, batch));
                var queries = spec.SampleInputs(m, prompts.Size(batch), queryGenerator);
                for (var k = 0; k < n; k++)
                {
                    using var perK = NewDisposeScope();
                    var (xs, ys) = (drawn.Xs.narrow(1, 0, k), drawn.Ys.narrow(1, 0, k));
                    var fit = ImplicitWeights.Fit(queries.narrow(2, 0, dims), model.PredictAtContext(xs, ys, queries));
                    rss[k] += fit.Residual.sum().item<double>();
                    tss[k] += fit.Total.sum().item<double>();
                    for (var l = 0; l < learners.Count; l++)
                        ilwd[l][k] += (fit.Weights - ImplicitWeights.Of(learners[l], xs, ys, queries, dims)).square().sum().item<double>();
                }
            }
            progress?.Invoke(new EvaluationProgress(spec.Name, batch + 1, prompts.Batches, batch + 1, prompts.Batches));
        }
        var normaliser = task.ErrorNormaliser(dims);
        double[] Mean(double[] sums) => sums.Select(s => s / prompts.NumExamples / normaliser).ToArray();
        var comparisons = learners.Select((l, i) => new LearnerComparison(l.Name, ReferenceLearners.Family(l), Mean(spd[i]), Mean(error[i]),
            linear ? Mean(ilwd[i]) : null)).ToList();
        double[]? r2 = linear ? rss.Zip(tss, (r, t) => t > 0 ? 1 - r / (m - dims - 1) / (t / (m - 1)) : double.NaN).ToArray() : null;
        return new IdentificationResult(spec.Name, task.Describe(), dims, prompts.NumExamples, linear ? m : 0, task.MetricName, normaliser,
            Mean(modelError), comparisons, r2, linear ? null : NotLinear(task));
    }

    /// <summary>The one line saying why ILWD and R² are not measured on <paramref name="task"/>.</summary>
    public static string NotLinear(Tasks.FunctionClass task) =>
        $"ILWD and R² not measured: {task.Describe()} is not x · w plus noise, so no learner's weights describe it (SPD is measured)";

    /// <summary>Adds the per-position sums over prompts of <paramref name="values"/> <c>[b, n]</c> to <paramref name="sums"/>.</summary>
    static void Add(double[] sums, Tensor values)
    {
        using var total = values.detach().to(float64).sum(new long[] { 0 });
        var v = total.data<double>().ToArray();
        for (var k = 0; k < sums.Length; k++) sums[k] += v[k];
    }

    /// <summary>
    /// Identifies the run at every value of <paramref name="sweep"/> (R² under a growing shift: where the
    /// model's function stops being linear); every value is checked before the first runs, the model loaded once.
    /// </summary>
    public static IReadOnlyList<(double Value, IdentificationResult Result)> Sweep(RunFolder run, ShiftSweep sweep, ProbeOptions shift,
        IdentifySettings settings, Device? device = null, int? step = null, Action<double, EvaluationProgress>? progress = null)
    {
        var config = run.LoadConfig();
        foreach (var v in sweep.Values) Check(config, sweep.Apply(shift, v), settings);
        using var model = run.LoadModel(device, step);
        var learners = ReferenceLearners.For(config);
        return sweep.Values.Select(v =>
        {
            var (spec, problem) = Probe.Build(config, sweep.Apply(shift, v), settings.Prompts.Seed);
            return (v, Run(model, spec, problem.NPoints, learners, settings, p => progress?.Invoke(v, p)));
        }).ToList();
    }

    /// <summary>
    /// The sweep's table: a row per strength, with R² and the closest learner (by SPD) after each number
    /// of examples of <paramref name="ks"/>.
    /// </summary>
    public static Reports.ReportTable SweepTable(string parameter, IReadOnlyList<(double Value, IdentificationResult Result)> sweep, IReadOnlyList<int> ks)
    {
        var header = new List<string> { parameter };
        foreach (var k in ks) header.AddRange([$"R² @{k}", $"closest @{k}", $"SPD @{k}"]);
        var rows = sweep.Select(s => (IReadOnlyList<string>)ks.SelectMany(k => new[]
        {
            s.Result.RSquared is { } r ? IdentificationResult.F(r[k]) : "–", s.Result.ClosestBySpd(k).Id, IdentificationResult.F(s.Result.ClosestBySpd(k).Spd[k]),
        }).Prepend(s.Value.ToString("G4", CultureInfo.InvariantCulture)).ToList()).ToList();
        return new Reports.ReportTable($"identify swept over {parameter}", header, rows);
    }
}
