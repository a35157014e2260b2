global using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Tests;

static class TensorAssert
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Same(this Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
