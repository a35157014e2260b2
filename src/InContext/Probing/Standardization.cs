using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Probing;

/// <summary>
/// Moves a prompt of one's own onto the scale a model was trained on, and its predictions back:
/// every input column <c>x ← (x − mean) / std</c> (the context's mean and std, applied to the
/// queries too), outputs <c>y ← (y − mean_y) · factor</c> with <c>factor = target / std_y</c>, so
/// that the context's outputs have mean 0 and the training outputs' spread; a prediction
/// <c>p</c> maps back to <c>p / factor + mean_y</c>. Stds are population stds (ddof 0); a zero std
/// (one row, a constant column) counts as 1, so such a column is only centred. Without a
/// target (labels), outputs pass unchanged.
/// </summary>
public sealed record Standardization(double[] XMean, double[] XStd, double YMean, double YStd, double? TargetYStd)
{
    /// <summary>The statistics of a context: <paramref name="x"/> <c>[k, d]</c>, <paramref name="y"/> <c>[k]</c>.</summary>
    public static Standardization Fit(Tensor x, Tensor y, double? targetYStd)
    {
        using var scope = NewDisposeScope();
        var xd = x.to(float64).cpu();
        var yd = y.to(float64).cpu();
        static double Nonzero(double s) => s > 1e-12 ? s : 1;
        var xMean = xd.mean(new long[] { 0 }).data<double>().ToArray();
        var xStd = xd.std(0, unbiased: false).data<double>().Select(Nonzero).ToArray();
        return targetYStd is null
            ? new Standardization(xMean, xStd, 0, 1, null)
            : new Standardization(xMean, xStd, yd.mean().ToDouble(), Nonzero(yd.std(unbiased: false).ToDouble()), targetYStd);
    }

    /// <summary>What the outputs are multiplied by after centring.</summary>
    public double YFactor => TargetYStd is { } t ? t / YStd : 1;

    /// <summary>Inputs <c>[..., d]</c> on the training scale (float64).</summary>
    public Tensor X(Tensor x)
    {
        using var mean = tensor(XMean, float64);
        using var std = tensor(XStd, float64);
        return (x.to(float64) - mean) / std;
    }

    /// <summary>Outputs on the training scale (float64).</summary>
    public Tensor Y(Tensor y) => (y.to(float64) - YMean) * YFactor;

    /// <summary>Predictions made on the training scale, mapped back to the data's.</summary>
    public Tensor BackY(Tensor predictions) => predictions.to(float64) / YFactor + YMean;

    /// <summary>One line: the factors applied, for the user to see.</summary>
    public string Describe()
    {
        static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        static string List(double[] v) => "[" + string.Join(", ", v.Take(6).Select(N)) + (v.Length > 6 ? $", … ({v.Length})" : "") + "]";
        var y = TargetYStd is { } t
            ? $"y ← (y − {N(YMean)}) × {N(YFactor)} (std {N(YStd)} → {N(t)}, the training outputs')"
            : "y unchanged (labels)";
        return $"x ← (x − mean) / std per column, mean {List(XMean)}, std {List(XStd)}; {y}; predictions mapped back";
    }
}
