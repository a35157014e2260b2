using InContext.Models;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Models;

public class GeluNewTests
{
    const double Ulp = 1.0 / (1 << 23);

    /// <summary>Inputs over the whole useful range, and a length that is not a multiple of 8 so the tail is used.</summary>
    static Tensor Grid() => linspace(-12, 12, 200_003, dtype: float32);

    /// <summary>2u = 2·√(2/π)·(x + 0.044715·x³), in float64.</summary>
    static Tensor TwoU(Tensor x) => 2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3));

    /// <summary>Every error within its bound; on failure, names the worst input and by how much.</summary>
    static void AssertWithin(Tensor x, Tensor error, Tensor allowed, string what)
    {
        var ratio = error / allowed;
        var worst = ratio.argmax();
        Assert.True(error.le(allowed).all().item<bool>(),
            $"worst {what} error {error[worst].item<double>():E3} at x = {x[worst].item<double>()}: {ratio.max().item<double>():F2} times the allowed");
    }

    [Fact]
    public void Values_match_the_formula_in_float64_within_its_conditioning()
    {
        using var scope = NewDisposeScope();
        var x32 = Grid();
        var x = x32.to(float64);
        // 0.5·x·(1 + tanh(u)) = x·σ(2u); the second form does not cancel in float64 either.
        var exact = x / (1 + exp(-TwoU(x)));
        var y = GeluNew.Apply(x32).to(float64);
        var error = (y - exact).abs();
        // An input rounded to float moves 2u by about |2u| ulps: that much error is the function's own.
        var allowed = 2 * Ulp * (1 + TwoU(x).abs()) * exact.abs() + 1e-30;
        AssertWithin(x, error, allowed, "value");
    }

    [Fact]
    public void Gradient_is_the_derivative_within_its_conditioning()
    {
        using var scope = NewDisposeScope();
        var x32 = Grid().requires_grad_(true);
        GeluNew.Apply(x32).backward(new[] { ones_like(x32) });
        var x = x32.detach().to(float64).requires_grad_(true);
        (x / (1 + exp(-TwoU(x)))).backward(new[] { ones_like(x) });
        var error = (x32.grad!.to(float64) - x.grad!).abs();
        // The derivative is s + s·(1 - s)·x·2u' with s = σ(2u). Each term may carry the error of an
        // input rounded to float (about |2u| ulps, as for the values); the terms cancel where the
        // derivative crosses zero, so the bound is on their magnitudes, not on the sum.
        using var noGrad = no_grad();
        var xd = x.detach();
        var s = 1 / (1 + exp(-TwoU(xd)));
        var slope = 2 * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * xd.square());
        var terms = s + (s * (1 - s) * xd * slope).abs();
        // Past saturation (x < -9.65) the derivative is flushed to 0 from below 1e-32; the floor allows that.
        var allowed = 4 * Ulp * (1 + TwoU(xd).abs()) * terms + 1e-30;
        AssertWithin(xd, error, allowed, "gradient");
    }

    [Fact]
    public void Gradient_reaches_slices_and_strided_views()
    {
        using var scope = NewDisposeScope();
        var whole = Grid().requires_grad_(true);
        GeluNew.Apply(whole).backward(new[] { ones_like(whole) });
        var derivative = whole.grad!;

        var sliced = Grid().requires_grad_(true);
        var slice = sliced.narrow(0, 5, 99_999);
        GeluNew.Apply(slice).backward(new[] { ones_like(slice) });
        Assert.True(sliced.grad!.narrow(0, 5, 99_999).eq(derivative.narrow(0, 5, 99_999)).all().item<bool>());
        Assert.Equal(0, sliced.grad!.narrow(0, 0, 5).count_nonzero().item<long>());
        Assert.Equal(0, sliced.grad!.narrow(0, 100_004, 99_999).count_nonzero().item<long>());

        var viewed = Grid().requires_grad_(true);
        var strided = viewed.narrow(0, 0, 200_000).view(400, 500).t();
        var upstream = arange(200_000, dtype: float32).view(500, 400) / 200_000;
        GeluNew.Apply(strided).backward(new[] { upstream });
        var expected = derivative.narrow(0, 0, 200_000).view(400, 500).t() * upstream;
        Assert.True(viewed.grad!.narrow(0, 0, 200_000).view(400, 500).t().eq(expected).all().item<bool>());
    }

    [Fact]
    public void Values_are_the_same_with_or_without_a_gradient_and_wherever_they_fall()
    {
        using var scope = NewDisposeScope();
        var x = Grid();
        var plain = GeluNew.Apply(x);
        var recorded = GeluNew.Apply(x.clone().requires_grad_(true));
        Assert.True(recorded.requires_grad);
        Assert.True(plain.eq(recorded.detach()).all().item<bool>());
        // A slice starting off the 8-lane grid, of odd length, and a non-contiguous view.
        Assert.True(GeluNew.Apply(x.narrow(0, 5, 99_999)).eq(plain.narrow(0, 5, 99_999)).all().item<bool>());
        var strided = x.narrow(0, 0, 200_000).view(400, 500).t();
        Assert.True(GeluNew.Apply(strided).eq(plain.narrow(0, 0, 200_000).view(400, 500).t()).all().item<bool>());
    }

    [Fact]
    public void Agrees_with_libtorchs_gelu_to_float_precision()
    {
        using var scope = NewDisposeScope();
        var x = Grid();
        var ours = GeluNew.Apply(x);
        var libtorch = nn.functional.gelu(x, GELU.Approximate.tanh);
        Assert.True((ours - libtorch).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Saturates_as_the_formula_does()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1e30f, 20f, 0f, -20f, -1e30f, float.NegativeInfinity, float.PositiveInfinity, float.NaN }).requires_grad_(true);
        var y = GeluNew.Apply(x);
        y.backward(new[] { ones_like(y) });
        var values = GeluNew.Apply(x.detach()).data<float>().ToArray();
        Assert.Equal(new[] { 1e30f, 20f, 0f, 0f, 0f, 0f, float.PositiveInfinity }, values[..7]);
        Assert.True(float.IsNaN(values[7]));
        Assert.Equal(new[] { 1f, 1f, 0.5f, 0f, 0f }, x.grad!.data<float>().ToArray()[..5]);
    }

    [Fact]
    public void Other_dtypes_use_libtorchs_gelu()
    {
        using var scope = NewDisposeScope();
        var x = Grid().to(float64);
        Assert.True(GeluNew.Apply(x).eq(nn.functional.gelu(x, GELU.Approximate.tanh)).all().item<bool>());
    }
}
