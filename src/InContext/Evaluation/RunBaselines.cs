using InContext.Baselines;
using InContext.Config;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// The learners a run brings beside its task's baselines: for a run trained on a finite pool of
/// linear functions (<c>num_tasks</c>), dMMSE, the Bayes estimator over that very pool (Raventós et
/// al. 2023), with the noise variance the run trained with. <c>eval</c>, <c>probe</c> and
/// <c>identify</c> compare the run with it; reports then show it like any baseline.
/// </summary>
public static class RunBaselines
{
    /// <summary>The run's own learners: dMMSE when it has a pool of linear functions, else none.</summary>
    public static IReadOnlyList<IPredictor> Of(RunConfig config) => TryDiscreteMmse(config, out _) is { } dmmse ? [dmmse] : [];

    /// <summary>dMMSE over the run's task pool; refused as the parameter <c>models</c>, in one line, for a run without a pool of linear functions.</summary>
    public static DiscreteMmse DiscreteMmse(RunConfig config) =>
        TryDiscreteMmse(config, out var whyNot) ?? throw new ParameterException("models", $"'{Baselines.DiscreteMmse.Id}': {whyNot}");

    /// <summary>dMMSE over the run's task pool, or null and why not.</summary>
    public static DiscreteMmse? TryDiscreteMmse(RunConfig config, out string? whyNot)
    {
        var task = config.CreateTask();
        whyNot = config.Training.NumTasks is null
            ? "the posterior mean over a run's task pool: this run trains without one (training.num_tasks is not set)"
            : !task.IsLinear ? $"the posterior mean over a pool of linear functions: {task.Describe()} is not x · w plus noise"
            : null;
        if (whyNot is not null) return null;
        using var pool = config.CreateTaskPool(task)!;
        using var scope = NewDisposeScope();
        return new DiscreteMmse(task.LinearWeights(pool.Functions), task.NoiseVariance);
    }
}
