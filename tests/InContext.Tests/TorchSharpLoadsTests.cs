using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests;

/// <summary>The build's libstdc++ fix works: the native library loads and computes.</summary>
public class TorchSharpLoadsTests
{
    [Fact]
    public void Native_library_loads_and_computes_a_matrix_product()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).view(2, 2);
        using var p = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, p.data<float>().ToArray());
    }
}
