using InContext.Config;

namespace InContext.Evaluation;

/// <summary>
/// The memory an evaluation needs, estimated before anything is allocated, so that one that cannot
/// fit (<c>icl eval --task linear_regression --n-dims 100000</c>) is refused in one line instead of
/// failing inside libtorch's allocator. Deliberately round float32 figures: the shifts' random
/// d × d input transformations, one batch of prompts, and the transformer's activations for it.
/// </summary>
/// <param name="TransformationBytes">The shifts' d × d transformations: 16 float32 copies of d² (the six
/// kept, and the working copies of the SVD that draws each); measured, the peak resident memory of
/// an evaluation grew by 0.29 GB at d = 2000 and by 0.75 GB at d = 4000, 12 to 18 such copies.</param>
/// <param name="PromptBytes">One batch of prompts, b × n × d numbers, in eight float32-sized copies
/// (the inputs, their transformed and query copies, the baselines' float64 copies).</param>
/// <param name="ActivationBytes">The transformer's activations for one batch, one layer at a time (it
/// predicts without gradients): per row of its 3n-row prompts, about 10 embeddings and a row of
/// attention weights per head.</param>
public sealed record EvaluationMemory(double TransformationBytes, double PromptBytes, double ActivationBytes)
{
    /// <summary>The estimate in all.</summary>
    public double TotalBytes => TransformationBytes + PromptBytes + ActivationBytes;

    /// <summary>Estimates an evaluation of <paramref name="problem"/> with <paramref name="settings"/>, with the transformer of <paramref name="model"/> (null: the baselines alone).</summary>
    public static EvaluationMemory Estimate(EvaluationProblem problem, EvaluationSettings settings, ModelConfig? model = null)
    {
        double d = problem.NDims, n = problem.NPoints, b = Math.Min(settings.BatchSize, settings.NumExamples);
        var transformations = problem.Task.EvaluatedUnderShifts ? 16 * d * d * 4 : 0;
        var prompts = 8 * b * n * d * 4;
        double rows = 3 * n;
        var activations = model is null ? 0 : b * rows * (10.0 * model.NEmbd + model.NHead * rows) * 4;
        return new EvaluationMemory(transformations, prompts, activations);
    }

    /// <summary>Refuses an evaluation of <paramref name="problem"/> whose estimate exceeds <paramref name="availableBytes"/> (default: the memory this process may use).</summary>
    public void EnsureFits(EvaluationProblem problem, long? availableBytes = null)
    {
        var available = availableBytes ?? AvailableMemory.Bytes;
        if (TotalBytes <= available) return;
        // the parts that weigh (1% of the whole or more)
        var parts = new[]
            {
                ("the shifts' random d × d input transformations", TransformationBytes), ("a batch of prompts", PromptBytes),
                ("the transformer's activations for a batch", ActivationBytes),
            }
            .Where(p => p.Item2 >= TotalBytes / 100).Select(p => $"{p.Item1}: {AvailableMemory.Format(p.Item2)}");
        throw new InputException($"evaluating {problem.Describe()} needs about {AvailableMemory.Format(TotalBytes)} ({string.Join("; ", parts)}), "
                                 + $"more than the {AvailableMemory.Format(available)} of memory here; evaluate fewer dims or smaller batches");
    }
}
