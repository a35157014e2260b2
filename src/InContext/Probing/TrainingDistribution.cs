using InContext.Config;
using InContext.Tasks;

namespace InContext.Probing;

/// <summary>
/// What a run's model was trained on, as far as a prompt of one's own must respect it: its
/// function class, at most <see cref="NDims"/> input coordinates (fewer are zero-padded, as the
/// curriculum does), at most <see cref="NPositions"/> points (so <see cref="MaxContext"/> pairs
/// before a query), inputs <c>N(0, I)</c> and outputs of the spread the class states.
/// </summary>
public sealed record TrainingDistribution(FunctionClass Task, int NPositions)
{
    /// <summary>What a run of <paramref name="config"/> was trained on: its class and its <c>n_positions</c>.</summary>
    public static TrainingDistribution Of(RunConfig config) => new(config.CreateTask(), config.Model.NPositions);

    /// <summary>The most input coordinates a prompt may have (the model's <c>n_dims</c>).</summary>
    public int NDims => Task.NDims;

    /// <summary>The most in-context pairs a prompt can hold before its query.</summary>
    public int MaxContext => NPositions - 1;

    /// <summary>The spread of the training outputs with <paramref name="activeDims"/> active inputs (null for labels).</summary>
    public double? OutputStd(int activeDims) => Task.OutputStd(activeDims);
}
