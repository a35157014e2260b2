using InContext.Evaluation;
using InContext.Models;

namespace InContext.Probing;

/// <summary>
/// Several models' predictions for the same queries from the same context (<c>icl predict</c>),
/// in the order the models were given. <see cref="Permutations"/> orders of the context were
/// averaged for the transformer; the baselines see the given order only.
/// </summary>
public sealed record ContextComparison(
    IReadOnlyList<string> Models,
    IReadOnlyDictionary<string, ContextPredictions> Predictions,
    Standardization? Standardization,
    int Permutations)
{
    /// <summary>
    /// Predicts <paramref name="queries"/> from the context (<paramref name="x"/>, <paramref name="y"/>)
    /// with every model, each through an <see cref="InContextRegressor"/> with the same
    /// <paramref name="training"/> limits and, with <paramref name="standardize"/>, the same rescaling
    /// (so all models see the very same prompt). <paramref name="permutations"/> applies to the
    /// transformer alone: the baselines (least squares, k-NN, averaging, Lasso, trees, boosting)
    /// fit the same model whatever the order of the pairs, up to tie-breaking.
    /// </summary>
    public static ContextComparison Run(IReadOnlyList<IPredictor> models, TrainingDistribution? training,
        double[,] x, double[] y, double[,] queries, bool standardize = false, int permutations = 1, long seed = 0)
    {
        var predictions = new Dictionary<string, ContextPredictions>();
        Standardization? applied = null;
        foreach (var model in models)
        {
            using var regressor = new InContextRegressor(model, training)
            {
                Standardize = standardize,
                Permutations = model is InContextTransformer ? permutations : 1,
                Seed = seed,
            };
            regressor.Fit(x, y);
            applied = regressor.Standardization;
            predictions[model.Name] = regressor.PredictWithSpread(queries);
        }
        return new ContextComparison(models.Select(m => m.Name).ToList(), predictions, applied, permutations);
    }

    /// <summary>
    /// Each model's score on queries whose true outputs are known: the mean of the task's metric
    /// (squared error, or accuracy for labels) over the queries, in the models' order.
    /// </summary>
    public IReadOnlyDictionary<string, double> Score(double[] truth, Tasks.FunctionClass task)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var targets = TorchSharp.torch.tensor(truth, TorchSharp.torch.float64);
        return Models.ToDictionary(m => m, m =>
        {
            var predictions = TorchSharp.torch.tensor(Predictions[m].Mean, TorchSharp.torch.float64);
            if (predictions.shape[0] != targets.shape[0]) throw new ArgumentException($"{truth.Length} true outputs for {predictions.shape[0]} predictions");
            return task.Metric(predictions, targets).to(TorchSharp.torch.float64).mean().item<double>();
        });
    }
}
