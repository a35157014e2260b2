using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Linear regression whose <c>w</c> keeps only <c>sparsity</c> coordinates, chosen uniformly
/// among the first <c>valid_coords</c> (by default the curriculum's current dims).
/// </summary>
public sealed class SparseLinearRegression(int nDims, int sparsity = 3, int? validCoords = null, double scale = 1)
    : LinearRegression(nDims, scale)
{
    public int Sparsity { get; } = sparsity;
    public int? ValidCoords { get; } = validCoords;
    public override string Name => "sparse_linear_regression";

    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var batch = base.SampleFunctions(count, generator, activeDims);
        var valid = Math.Min(ValidCoords ?? activeDims, NDims);
        var keep = Math.Min(Sparsity, valid);
        // A uniform random subset per prompt: the first `keep` of a random order of the valid coords.
        using var order = rand(new long[] { count, valid }, generator: generator).argsort(1);
        using var chosen = order.narrow(1, 0, keep);
        using var mask = zeros(count, NDims).scatter_(1, chosen, ones(count, keep));
        var w = batch["w"];
        batch.Parameters["w"] = w * mask.unsqueeze(-1);
        w.Dispose();
        return batch;
    }
}
