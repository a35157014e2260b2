using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Tasks;

namespace InContext.Identification;

/// <summary>
/// The learners a trained model is compared with to name the algorithm it runs (Akyürek et al.
/// 2023; Raventós et al. 2023): least squares; ridge over a grid of penalties that includes the
/// Bayes-optimal one of the run's task (<see cref="FunctionClass.BayesRidgePenalty"/>); gradient
/// descent from zero over a grid of step counts and rates; 3-nearest neighbours; averaging; and,
/// for a run trained on a task pool, dMMSE over that pool.
/// </summary>
public static class ReferenceLearners
{
    /// <summary>The ridge penalties always in the grid (the Bayes-optimal one is added).</summary>
    public static readonly IReadOnlyList<double> RidgePenalties = [0.01, 0.1, 1, 10];
    /// <summary>The step counts of gradient descent from zero.</summary>
    public static readonly IReadOnlyList<int> GradientSteps = [1, 2, 4, 8, 16, 32, 64];
    /// <summary>The step sizes of gradient descent, relative to 1/λ_max of each context.</summary>
    public static readonly IReadOnlyList<double> GradientRates = [0.5, 1];

    /// <summary>The grid for a run: its trained task's Bayes-optimal ridge, and its own learners (dMMSE for a task pool).</summary>
    public static IReadOnlyList<IPredictor> For(RunConfig config) => Grid(config.CreateTask(), RunBaselines.Of(config));

    /// <summary>The grid for a model trained on <paramref name="trained"/>, with <paramref name="extra"/> learners (a run's dMMSE) last.</summary>
    public static IReadOnlyList<IPredictor> Grid(FunctionClass trained, IEnumerable<IPredictor> extra)
    {
        var penalties = RidgePenalties.ToList();
        if (trained.BayesRidgePenalty is { } bayes && bayes > 0 && !penalties.Contains(bayes)) penalties.Add(bayes);
        var learners = new List<IPredictor> { new LeastSquares() };
        learners.AddRange(penalties.Order().Select(a => new Ridge(a)));
        learners.AddRange(GradientSteps.SelectMany(t => GradientRates.Select(r => new LinearGradientDescent(t, r))));
        learners.Add(new NearestNeighbours(3));
        learners.Add(new Averaging());
        learners.AddRange(extra);
        return learners;
    }

    /// <summary>
    /// The family a learner belongs to (figures draw the closest member of each family at each k):
    /// least squares, ridge, gradient descent, nearest neighbours, averaging, dMMSE; any other
    /// learner is its own family.
    /// </summary>
    public static string Family(IPredictor learner) => learner switch
    {
        LeastSquares => "least squares",
        Ridge => "ridge (best α)",
        LinearGradientDescent => "GD from 0 (best steps, rate)",
        NearestNeighbours => "nearest neighbours",
        Averaging => "averaging",
        DiscreteMmse => "dMMSE",
        _ => learner.DisplayName,
    };
}
