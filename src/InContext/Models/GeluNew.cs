using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>
/// GPT-2's activation "gelu_new", <c>0.5·x·(1 + tanh(u))</c> with <c>u = √(2/π)·(x + 0.044715·x³)</c>,
/// computed as the equal <c>x·σ(2u)</c>.
/// <para>
/// Why by hand: libtorch's fused kernel evaluates tanh in its forward and again in its backward,
/// and on CPU those two passes were a tenth of the small model's training step. Here one pass
/// over x writes the output and, when a gradient will be needed, the derivative; backward is then
/// one multiplication. No served package fuses the two (System.Numerics.Tensors has element-wise
/// Exp and Tanh, a pass each).
/// </para>
/// <para>
/// The error stays within 2 float ulps times <c>1 + |2u|</c>, the function's own conditioning
/// (tests); libtorch's float <c>1 + tanh(u)</c> loses digits for negative x, so the two differ by
/// up to 1e-6, not bitwise. Other devices, dtypes, or CPUs without 256-bit vectors and FMA get
/// libtorch's own gelu. The derivative is saved as a constant, so second derivatives are not supported, and
/// while a gradient is recorded an infinite input gives NaN.
/// </para>
/// </summary>
public static class GeluNew
{
    const float Beta = 0.7978845608028654f;   // √(2/π)
    const float Kappa = 0.044715f;
    const int Chunk = 16384;                  // floats per work item (64 KiB)
    // Beyond |2u| = 80, σ(2u) is 1 in float for 2u > 0, and for 2u < 0 exp(-2u) would leave the
    // float range: there the output is set to 0 and exp is only ever evaluated inside ±80.
    const float Saturation = 80f;
    static readonly Scalar One = 1.ToScalar();  // add_'s alpha, made once: TorchSharp frees an implicit Scalar only in its finalizer

    /// <summary>gelu_new of <paramref name="x"/>, differentiable; by hand for float32 CPU tensors (on CPUs with 256-bit vectors and FMA), else libtorch's <c>gelu(x, tanh)</c>.</summary>
    public static Tensor Apply(Tensor x)
    {
        if (x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32 || !Vector256.IsHardwareAccelerated || !Fma.IsSupported)
            return nn.functional.gelu(x, GELU.Approximate.tanh);
        var (y, d) = Compute(x, withDerivative: x.requires_grad && is_grad_enabled());
        if (d is null) return y;
        // (x - x)·d + y has the value y exactly and the gradient d·g, so autograd keeps d for
        // backward instead of recomputing tanh. Built from plain ops, not a custom autograd
        // Function: TorchSharp keeps a custom node's tensors alive until the dispose scope ends,
        // and the extra live memory cost more in page faults than the kernel saved. In place, so
        // the result is the only buffer besides d (which backward keeps) that outlives this call.
        using (y)
        using (d)
        using (var detached = x.detach())
        {
            var result = x.sub(detached);
            result.mul_(d).add_(y, One);
            return result;
        }
    }

    static unsafe (Tensor output, Tensor? derivative) Compute(Tensor input, bool withDerivative)
    {
        using var x = input.contiguous();
        var y = empty_like(x);
        var d = withDerivative ? empty_like(x) : null;
        var (px, py, pd) = (Address(x), Address(y), d is null ? 0 : Address(d));
        var n = x.numel();
        var chunks = (int)((n + Chunk - 1) / Chunk);
        void Run(int c)
        {
            var start = (long)c * Chunk;
            var count = (int)Math.Min(Chunk, n - start);
            Kernel((float*)px + start, (float*)py + start, pd == 0 ? null : (float*)pd + start, count);
        }
        // Split like libtorch's own element-wise kernels: one worker per intra-op thread.
        if (chunks == 1) Run(0);
        else Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = get_num_threads() }, Run);
        return (y, d);
    }

    /// <summary>Where t's first element is. <c>storage()</c> makes an alias tensor that would keep t's
    /// memory alive to the end of the caller's dispose scope, hence a scope of its own.</summary>
    static nint Address(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.storage<float>().data_ptr() + (nint)(t.storage_offset() * sizeof(float));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Kernel(float* x, float* y, float* d, int n)
    {
        var i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var output = Eight(Vector256.Load(x + i), out var derivative);
            output.Store(y + i);
            if (d != null) derivative.Store(d + i);
        }
        if (i == n) return;
        // The tail goes through the same vector code, so a value never depends on where it falls.
        var tail = stackalloc float[8];
        for (var j = 0; j < 8; j++) tail[j] = i + j < n ? x[i + j] : 0f;
        var last = Eight(Vector256.Load(tail), out var lastDerivative);
        for (var j = 0; i + j < n; j++)
        {
            y[i + j] = last[j];
            if (d != null) d[i + j] = lastDerivative[j];
        }
    }

    /// <summary>
    /// With <c>e = exp(-2u)</c> and <c>s = σ(2u) = 1/(1 + e)</c>: output <c>x·s</c> and derivative
    /// <c>s + s·(e·s)·x·2u'</c> (since <c>σ' = s·(1 - s) = s²·e</c>, <c>u' = √(2/π)·(1 + 3·0.044715·x²)</c>).
    /// Neither uses <c>1 - s</c>, which would lose every digit for large x; <c>e·s</c> is taken first
    /// because <c>s²</c> alone underflows for x below about -7.6. The derivative's two terms do
    /// cancel where it crosses zero (x ≈ -0.75), as any formula's must. Where <c>2u</c> saturates,
    /// the output is x (derivative 1) or 0 (derivative 0), as the formula gives in float.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Eight(Vector256<float> x, out Vector256<float> derivative)
    {
        var x2 = x * x;
        var minusTwoU = x * Vector256.FusedMultiplyAdd(Vector256.Create(-2 * Beta * Kappa), x2, Vector256.Create(-2 * Beta));
        var limit = Vector256.Create(Saturation);
        var one = Vector256.Create(1f);
        var toX = Vector256.LessThan(minusTwoU, -limit);
        var toZero = Vector256.GreaterThan(minusTwoU, limit);
        var e = Vector256.AndNot(Exp(Vector256.MinNative(Vector256.MaxNative(minusTwoU, -limit), limit)), toX);
        var s = one / (one + e);
        var slope = x * Vector256.FusedMultiplyAdd(Vector256.Create(6 * Beta * Kappa), x2, Vector256.Create(2 * Beta));
        derivative = Vector256.ConditionalSelect(toX, one, Vector256.AndNot(Vector256.FusedMultiplyAdd(s * (e * s), slope, s), toZero));
        return Vector256.AndNot(x * s, toZero);
    }

    /// <summary>
    /// e^x for |x| ≤ 80, Cephes' expf: <c>2^n·e^r</c> with <c>n = round(x·log2 e)</c>, r reduced in two
    /// steps, e^r by its minimax polynomial (relative error about one float ulp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Exp(Vector256<float> x)
    {
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500e-4f), r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256.Create(1f);
        var twoToN = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return p * twoToN;
    }
}
