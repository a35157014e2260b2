using System.Diagnostics;
using InContext.Baselines;
using InContext.Config;
using InContext.Models;
using InContext.Tasks;

namespace InContext.Evaluation;

/// <summary>Seconds one model takes on one evaluation workload (all its evaluations, all prompts).</summary>
public sealed record EvaluationTiming(string Workload, string Model, double Seconds);

/// <summary>
/// The evaluation workloads whose speed docs/performance.md quotes, run through the real evaluator
/// (data generation included), one model at a time so each gets its own figure.
/// </summary>
public static class EvaluationBenchmark
{
    /// <summary>The workloads <see cref="Run"/> can time, by the names it takes.</summary>
    public static IReadOnlyList<string> Workloads { get; } = ["decision_tree", "sparse_linear_regression", "linear_regression"];

    /// <summary>
    /// Times each of the chosen <paramref name="workloads"/> (null or empty: all), one model at a time.
    /// An unknown workload or fewer than one prompt is refused here, before anything is timed.
    /// </summary>
    /// <exception cref="ParameterException">A workload not in <see cref="Workloads"/>, or <see cref="EvaluationSettings.NumExamples"/> below 1.</exception>
    public static IEnumerable<EvaluationTiming> Run(EvaluationSettings settings, IReadOnlyList<string>? workloads = null)
    {
        if (settings.NumExamples < 1) throw new ParameterException("examples", $"{settings.NumExamples}: must be at least 1");
        foreach (var w in workloads ?? [])
            if (!Workloads.Contains(w)) throw new ParameterException("workloads", $"{Printable.Escape(w)}: unknown (valid: {string.Join(", ", Workloads)})");
        return Timings(settings, workloads);
    }

    static IEnumerable<EvaluationTiming> Timings(EvaluationSettings settings, IReadOnlyList<string>? workloads)
    {
        bool Wanted(string w) => workloads is null || workloads.Count == 0 || workloads.Contains(w);

        if (Wanted("decision_tree"))
            foreach (var t in Time("decision_tree", new(new DecisionTree(20), 101), null, settings)) yield return t;
        if (Wanted("sparse_linear_regression"))
            foreach (var t in Time("sparse_linear_regression", new(new SparseLinearRegression(20), 41), null, settings,
                         only: Lasso.PaperAlphas.Select(Lasso.IdOf).ToList())) yield return t;
        if (Wanted("linear_regression"))
        {
            // A tiny model (64/3/2) at the paper's d = 20 and 41 points; its weights do not change its speed.
            using var model = new InContextTransformer(new ModelConfig("gpt2", 20, 41, 64, 3, 2));
            model.eval();
            foreach (var t in Time("linear_regression (15 evaluations)", new(new LinearRegression(20), 41), model, settings)) yield return t;
        }
    }

    static IEnumerable<EvaluationTiming> Time(string workload, EvaluationProblem problem, IPredictor? transformer, EvaluationSettings settings, IReadOnlyList<string>? only = null)
    {
        var specs = RunEvaluation.SelectEvaluations(problem, null, settings.Seed);
        foreach (var predictor in RunEvaluation.SelectModels(problem, transformer, only))
        {
            var clock = Stopwatch.StartNew();
            Evaluator.Run(specs, new[] { predictor }, problem.NPoints, settings, new MetricsFile());
            yield return new EvaluationTiming(workload, predictor.Name, clock.Elapsed.TotalSeconds);
        }
    }
}
