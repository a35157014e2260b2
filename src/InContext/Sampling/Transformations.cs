using static TorchSharp.torch;

namespace InContext.Sampling;

/// <summary>Random linear transformations of the inputs, used by the distribution shifts of §8.</summary>
public static class Transformations
{
    /// <summary>
    /// <c>U diag(eigenvalues) Uᵀ</c> with <c>U</c> from the SVD of a random Gaussian matrix;
    /// with <paramref name="normalize"/>, scaled by <c>sqrt(d / Σ eigenvalues²)</c> so that the
    /// transformed inputs keep the expected squared norm of <c>N(0, I)</c>.
    /// </summary>
    public static Tensor SampleTransformation(double[] eigenvalues, bool normalize, Generator generator)
    {
        var d = eigenvalues.Length;
        using var scope = NewDisposeScope();
        var a = randn(new long[] { d, d }, generator: generator);
        var (u, _, _) = linalg.svd(a);
        var t = u.matmul(diag(tensor(eigenvalues, dtype: float32))).matmul(u.t());
        if (normalize)
        {
            var norm = Math.Sqrt(d / eigenvalues.Sum(e => e * e));
            t = t * norm;
        }
        return t.MoveToOuterDisposeScope();
    }
}
