using System.Diagnostics;
using InContext.Config;
using InContext.Models;

namespace InContext.Evaluation;

/// <summary>Seconds one model takes on one evaluation workload (all its evaluations, all prompts).</summary>
public sealed record EvaluationTiming(string Workload, string Model, double Seconds);

/// <summary>
/// The evaluation workloads whose speed the README quotes, run through the real evaluator
/// (data generation included), one model at a time so each gets its own figure.
/// </summary>
public static class EvaluationBenchmark
{
    public static IEnumerable<EvaluationTiming> Run(EvaluationSettings settings, IReadOnlyList<string>? workloads = null)
    {
        bool Wanted(string w) => workloads is null || workloads.Count == 0 || workloads.Contains(w);

        if (Wanted("decision_tree"))
            foreach (var t in Time("decision_tree", new("decision_tree", new(), 20, 101), null, settings)) yield return t;
        if (Wanted("sparse_linear_regression"))
            foreach (var t in Time("sparse_linear_regression", new("sparse_linear_regression", new() { ["sparsity"] = 3 }, 20, 41), null, settings,
                         only: ModelNames.LassoAlphas.Select(ModelNames.Lasso).ToList())) yield return t;
        if (Wanted("linear_regression"))
        {
            // A tiny model (64/3/2) at the paper's d = 20 and 41 points; its weights do not change its speed.
            using var model = new InContextTransformer(new ModelConfig("gpt2", 20, 41, 64, 3, 2));
            model.eval();
            foreach (var t in Time("linear_regression (15 evaluations)", new("linear_regression", new(), 20, 41), model, settings)) yield return t;
        }
    }

    static IEnumerable<EvaluationTiming> Time(string workload, RunEvaluation.Problem problem, IPredictor? transformer, EvaluationSettings settings, IReadOnlyList<string>? only = null)
    {
        var specs = RunEvaluation.SelectEvaluations(problem, null, settings.Seed);
        foreach (var predictor in RunEvaluation.SelectModels(problem, transformer, only))
        {
            var clock = Stopwatch.StartNew();
            Evaluator.Run(specs, new[] { predictor }, problem.NDims, problem.NPoints, settings, new MetricsFile());
            yield return new EvaluationTiming(workload, predictor.Name, clock.Elapsed.TotalSeconds);
        }
    }
}
