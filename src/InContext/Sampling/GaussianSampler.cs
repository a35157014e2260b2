using static TorchSharp.torch;

namespace InContext.Sampling;

/// <summary>
/// The paper's <c>gaussian</c> data sampler: <c>xs ~ N(0, I)</c> of shape <c>[b, n, d]</c>,
/// optionally transformed as <c>xs @ scale + bias</c>, with the coordinates at and past
/// <c>n_dims_truncated</c> zeroed (the curriculum). Tensors are made on CPU with an explicit
/// generator, so a batch depends only on its seed.
/// </summary>
public sealed class GaussianSampler(int nDims, Tensor? scale = null, Tensor? bias = null)
{
    /// <summary>The input dimension d.</summary>
    public int NDims { get; } = nDims;
    /// <summary>The <c>[d, d]</c> matrix the inputs are multiplied by; null for none.</summary>
    public Tensor? Scale { get; } = scale;
    /// <summary>The <c>[d]</c> offset added to the inputs; null for none.</summary>
    public Tensor? Bias { get; } = bias;

    /// <summary>Draws xs <c>[batchSize, nPoints, d]</c> from <paramref name="generator"/>, zeroing the coordinates from <paramref name="nDimsTruncated"/> on (none when null).</summary>
    public Tensor Sample(int nPoints, int batchSize, Generator generator, int? nDimsTruncated = null) =>
        Transform(randn(new long[] { batchSize, nPoints, NDims }, generator: generator), nDimsTruncated);

    /// <summary>One prompt per seed, each reproducible on its own (<c>num_training_examples</c>).</summary>
    public Tensor SampleFromSeeds(int nPoints, IReadOnlyList<long> seeds, int? nDimsTruncated = null)
    {
        var prompts = seeds.Select(s =>
        {
            using var g = new Generator((ulong)s);
            return randn(new long[] { 1, nPoints, NDims }, generator: g);
        }).ToArray();
        var xs = cat(prompts, 0);
        foreach (var p in prompts) p.Dispose();
        return Transform(xs, nDimsTruncated);
    }

    Tensor Transform(Tensor xs, int? nDimsTruncated)
    {
        // The scope holds each temporary (the narrow view zero_ writes through) during the native
        // call that reads it: TorchSharp keeps no reference to it there. Only the result leaves.
        using var scope = NewDisposeScope();
        if (Scale is not null) xs = xs.matmul(Scale);
        if (Bias is not null) xs = xs + Bias;
        if (nDimsTruncated is { } t && t < NDims) xs.narrow(2, t, NDims - t).zero_();
        scope.MoveToOuter(xs);
        return xs;
    }
}
