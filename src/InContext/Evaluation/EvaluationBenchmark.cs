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
    /// <summary>Times each of the chosen <paramref name="workloads"/> (null or empty: all), one model at a time.</summary>
    public static IEnumerable<EvaluationTiming> Run(EvaluationSettings settings, IReadOnlyList<string>? workloads = null)
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
