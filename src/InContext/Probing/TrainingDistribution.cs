using InContext.Config;

namespace InContext.Probing;

/// <summary>
/// What a run's model was trained on, as far as a prompt of one's own must respect it: at most
/// <see cref="NDims"/> input coordinates (fewer are zero-padded, as the curriculum does), at most
/// <see cref="NPositions"/> points (so <see cref="MaxContext"/> pairs before a query), inputs
/// <c>N(0, I)</c> and outputs of the spread <see cref="OutputStd"/>.
/// </summary>
public sealed record TrainingDistribution(string Task, Dictionary<string, object?> TaskKwargs, int NDims, int NPositions)
{
    public static TrainingDistribution Of(RunConfig config) =>
        new(config.Training.Task, config.Training.TaskKwargs, config.Model.NDims, config.Model.NPositions);

    /// <summary>The most in-context pairs a prompt can hold before its query.</summary>
    public int MaxContext => NPositions - 1;

    /// <summary>
    /// The standard deviation of the training outputs for inputs with <paramref name="activeDims"/>
    /// active coordinates (mean 0 for every task): <c>scale·sqrt(d)</c> for linear, quadratic and
    /// 2-layer ReLU functions (each has <c>E[y²] = scale²·d</c> over <c>x ~ N(0, I_d)</c>),
    /// <c>scale·sqrt(min(sparsity, d))</c> for sparse linear ones, <c>sqrt(scale²·d + noise_std²)</c> for
    /// noisy ones (<c>sqrt(n_dims)</c> with <c>renormalize_ys</c>), 1 for decision trees (N(0, 1)
    /// leaves). Null for linear classification: its outputs are ±1 labels, which are never rescaled.
    /// </summary>
    public double? OutputStd(int activeDims)
    {
        var kwargs = new Section("config", "training.task_kwargs", TaskKwargs);
        var scale = Task == "decision_tree" ? 1 : kwargs.Double("scale", 1);
        return Task switch
        {
            "linear_classification" => null,
            "decision_tree" => 1,
            "sparse_linear_regression" => scale * Math.Sqrt(Math.Min(kwargs.Int("sparsity", 3), activeDims)),
            "noisy_linear_regression" => kwargs.Bool("renormalize_ys", false)
                ? Math.Sqrt(NDims)
                : Math.Sqrt(scale * scale * activeDims + Math.Pow(kwargs.Double("noise_std", 0), 2)),
            _ => scale * Math.Sqrt(activeDims),
        };
    }
}
