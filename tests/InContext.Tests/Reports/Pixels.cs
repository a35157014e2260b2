using SkiaSharp;

namespace InContext.Tests.Reports;

/// <summary>Looks at rendered images the way a reader would: is anything drawn, and in which colours.</summary>
static class Pixels
{
    static readonly byte[] PngSignature = { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };

    public static SKBitmap DecodePng(byte[] bytes)
    {
        Xunit.Assert.True(bytes.Length > PngSignature.Length && bytes.AsSpan(0, PngSignature.Length).SequenceEqual(PngSignature), "not a PNG: signature differs");
        return SKBitmap.Decode(bytes) ?? throw new Xunit.Sdk.XunitException("PNG does not decode");
    }

    public static SKBitmap DecodePng(string path) => DecodePng(File.ReadAllBytes(path));

    /// <summary>The variance of the grey level over a rectangle given in fractions of the image (0..1).</summary>
    public static double Variance(SKBitmap image, double left, double top, double right, double bottom)
    {
        var values = Rows(image, left, top, right, bottom).Select(p => (p.Red + p.Green + p.Blue) / 3.0).ToList();
        double mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / values.Count;
    }

    /// <summary>How many pixels are within <paramref name="tolerance"/> of <paramref name="color"/> in every channel.</summary>
    public static int Count(IEnumerable<SKColor> pixels, ScottPlot.Color color, int tolerance = 6) =>
        pixels.Count(p => Math.Abs(p.Red - color.R) <= tolerance && Math.Abs(p.Green - color.G) <= tolerance && Math.Abs(p.Blue - color.B) <= tolerance);

    public static SKColor[] Region(SKBitmap image, double left, double top, double right, double bottom) =>
        Rows(image, left, top, right, bottom).ToArray();

    static IEnumerable<SKColor> Rows(SKBitmap image, double left, double top, double right, double bottom)
    {
        var pixels = image.Pixels;
        for (int y = (int)(top * image.Height); y < (int)(bottom * image.Height); y++)
            for (int x = (int)(left * image.Width); x < (int)(right * image.Width); x++)
                yield return pixels[y * image.Width + x];
    }
}
