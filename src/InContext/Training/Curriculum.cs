using InContext.Config;

namespace InContext.Training;

/// <summary>
/// The paper's curriculum: the number of points and of active dims start small and
/// grow by <c>inc</c> every <c>interval</c> steps, capped at <c>end</c>. A closed form of the
/// step, so resuming at any step needs no replay.
/// </summary>
public sealed class Curriculum(CurriculumConfig config)
{
    /// <summary>The two schedules: active dims and points per prompt.</summary>
    public CurriculumConfig Config { get; } = config;

    /// <summary>Value of a schedule after <paramref name="step"/> steps.</summary>
    public static int ValueAt(Schedule s, int step) =>
        (int)Math.Min((long)s.Start + (long)(step / s.Interval) * s.Inc, s.End);

    /// <summary>Points per prompt at (0-based) step <paramref name="step"/>.</summary>
    public int NPoints(int step) => ValueAt(Config.Points, step);

    /// <summary>Active dims (<c>n_dims_truncated</c>) at step <paramref name="step"/>.</summary>
    public int NDims(int step) => ValueAt(Config.Dims, step);

    /// <summary>
    /// The active dims and points per prompt of the last step of a run of <paramref name="training"/>
    /// (step <c>train_steps</c> − 1): what its model was trained on, and where probes start. A
    /// curriculum that ends below <c>n_dims</c>, or has not reached its end by then, stops short of it.
    /// </summary>
    public static (int Dims, int Points) AtLastStep(TrainingConfig training)
    {
        var last = Math.Max(training.TrainSteps - 1, 0);
        return (ValueAt(training.Curriculum.Dims, last), ValueAt(training.Curriculum.Points, last));
    }

    /// <summary>
    /// What the paper divides the training loss by to get the "excess loss" (train_log.csv's
    /// <c>excess_loss</c>): <c>Σ_{i&lt;n_points} max(n_dims − i, 0) / n_points</c>, least squares'
    /// expected squared error on noiseless linear regression with w ~ N(0, I), averaged over the
    /// prompt's positions (after i &lt; d examples the d − i unseen directions of w are unknown; from
    /// d on it is exact). An excess of 1 is least squares' loss; predicting 0 scores
    /// <c>n_dims · n_points / Σ max(n_dims − i, 0)</c> (3.67 at 5 dims and 11 points). For other
    /// classes it is the same number, a fixed yardstick rather than their optimum.
    /// </summary>
    public static double BaselineLoss(int nPoints, int nDims)
    {
        double sum = 0;
        for (var i = 0; i < nPoints; i++) sum += Math.Max(nDims - i, 0);
        return sum / nPoints;
    }
}
