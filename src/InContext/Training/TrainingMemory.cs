using InContext.Config;

namespace InContext.Training;

/// <summary>
/// The memory a training run needs, estimated from its config before anything is allocated, so
/// that a config that cannot fit (<c>n_embd: 1000000000</c>, <c>batch_size: 2000000000</c>) is
/// refused in one line instead of failing deep inside libtorch (or swapping the machine to a halt).
/// The figures are float32 and deliberately round: parameters, their gradients and Adam's two
/// moments (four copies, as <see cref="FlatAdam"/> keeps them), copies made while a checkpoint
/// is written (three more), and one batch's activations for the backward pass.
/// </summary>
public sealed record TrainingMemory(double Parameters, double ParameterBytes, double ActivationBytes, int Members = 1)
{
    /// <summary>The estimate in all: seven float32 copies of the parameters plus the activations.</summary>
    public double TotalBytes => 7 * ParameterBytes + ActivationBytes;

    /// <summary>Estimates the memory a run of <paramref name="config"/> needs at its longest prompts; <paramref name="members"/> runs of it packed need that many times as much.</summary>
    public static TrainingMemory Estimate(RunConfig config, int members = 1)
    {
        var m = config.Model;
        double e = m.NEmbd, layers = m.NLayer, d = m.NDims, heads = m.NHead;
        double rows = 2.0 * config.Training.Curriculum.Points.End, batch = config.Training.BatchSize;
        // read-in, position embeddings, per layer two LayerNorms, q/k/v, projection and the 4x MLP, final LayerNorm, read-out
        var parameters = d * e + e + 2.0 * m.NPositions * e + layers * (12 * e * e + 13 * e) + 2 * e + e + 1;
        // per layer and row: LayerNorm inputs and outputs, q, k, v, attention output, MLP hidden (4e) and its GELU, residuals;
        // plus the attention weights of every head (rows × rows)
        var activations = batch * rows * (layers * (20 * e + 2 * heads * rows) + 4 * e + d);
        return new TrainingMemory(members * parameters, 4 * members * parameters, 4 * members * activations, members);
    }

    /// <summary>Refuses a config whose estimate exceeds <paramref name="availableBytes"/> (default: the memory this process may use).</summary>
    public void EnsureFits(string source, long? availableBytes = null)
    {
        var available = availableBytes ?? AvailableMemory.Bytes;
        if (TotalBytes > available)
            throw new InputException($"{source}: training this config{(Members > 1 ? $" as a pack of {Members} seeds" : "")} needs about {Gb(TotalBytes)} " +
                                     $"({Parameters:G3} parameters: {Gb(7 * ParameterBytes)} with gradients, Adam state and checkpoint copies; one batch's activations: {Gb(ActivationBytes)}), " +
                                     $"more than the {Gb(available)} of memory here; make model.n_embd, model.n_layer or training.batch_size smaller{(Members > 1 ? ", or train fewer seeds at once" : "")}");
    }

    static string Gb(double bytes) => AvailableMemory.Format(bytes);
}
