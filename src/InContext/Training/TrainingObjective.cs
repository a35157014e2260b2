using InContext.Native;
using InContext.Tasks;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>
/// What one training step gave: each member's loss (one for a single run), what of each member's
/// checkpointed state is not finite after the update (null where all is), and when asked each
/// member's metric per position before the update (what the paper logs as <c>pointwise/loss</c>).
/// </summary>
public sealed record StepResult(IReadOnlyList<double> Losses, IReadOnlyList<string?> NonFinite, IReadOnlyList<double[]>? Pointwise)
{
    /// <summary>The loss of the first member (the only one, for a single run).</summary>
    public double Loss => Losses[0];

    /// <summary>The first member's loss and metric per position, as a single run's step reads: <c>var (loss, pointwise) = trainer.Step()</c>.</summary>
    public void Deconstruct(out double loss, out double[]? pointwise)
    {
        loss = Losses[0];
        pointwise = Pointwise?[0];
    }
}

/// <summary>
/// What a training step minimises, for a single run or for a pack of runs stacked along a first
/// member dimension: prompts in (on the device), out the scalar to differentiate, each member's
/// loss and the predictions. A pack's scalar is the sum of its members' losses, so each member's
/// gradient is the one its own loss gives, as if it trained alone. Used alike by eager steps and
/// by the captured ones of <see cref="GraphedSteps"/>.
/// </summary>
internal sealed class TrainingObjective(Func<Tensor, Tensor, Tensor> predict, FunctionClass task, bool packed, int members = 1)
{
    /// <summary>The function class whose loss and metric are used.</summary>
    public FunctionClass Task => task;

    /// <summary>Predictions for xs and ys, the scalar to differentiate, and each member's loss (<c>[members]</c>, or the single run's scalar).</summary>
    public (Tensor Objective, Tensor Losses, Tensor Predictions) Forward(Tensor xs, Tensor ys)
    {
        var predictions = predict(xs, ys);
        if (!packed)
        {
            var loss = task.TrainingLoss(predictions, ys);
            return (loss, loss, predictions);
        }
        var losses = task.TrainingLosses(predictions, ys);
        return (losses.sum(), losses, predictions);
    }

    static bool _layoutWarningShown;

    /// <summary>
    /// Backpropagates <paramref name="objective"/>. A pack's gradients are strided views into
    /// <see cref="FlatAdam"/>'s member-by-member buffer, by design; libtorch accumulates into them in
    /// place but warns, once per process, that they "do not obey the gradient layout contract"
    /// (a stride it would prefer, not an error). That first backward runs with native stderr
    /// silenced, so the warning does not reach the user's terminal.
    /// </summary>
    public void Backward(Tensor objective)
    {
        if (members < 2 || _layoutWarningShown)
        {
            objective.backward();
            return;
        }
        NativeRuntime.WithoutNativeStderr(() => { objective.backward(); return 0; });
        _layoutWarningShown = true;
    }

    /// <summary>Reads a step's outputs back to the host: the losses, <see cref="FlatAdam.Health"/>, and when <paramref name="predictions"/> are given the metric per position.</summary>
    public StepResult Result(Tensor losses, Tensor health, Tensor? predictions, Tensor ys)
    {
        using var scope = NewDisposeScope();
        var lossValues = losses.to_type(float64).cpu().data<double>().ToArray();
        var nonFinite = FlatAdam.Describe(health);
        double[][]? pointwise = null;
        if (predictions is not null)
        {
            // Averaged over the prompts: a pack's second dimension, a single run's first.
            var perPosition = task.Metric(predictions, ys).mean([packed ? 1L : 0L]).to_type(float64).cpu();
            pointwise = packed
                ? Enumerable.Range(0, (int)perPosition.shape[0]).Select(i => perPosition[i].data<double>().ToArray()).ToArray()
                : [perPosition.data<double>().ToArray()];
        }
        return new StepResult(lossValues, nonFinite, pointwise);
    }
}
