using ScottPlot;
using SkiaSharp;
using InContext.Native;
using InContext.Storage;

namespace InContext.Reports;

/// <summary>Turns a figure into PNG bytes or writes it as a PNG or SVG file. Needs no display.</summary>
public static class FigureExport
{
    /// <summary>Figure width in pixels unless told otherwise.</summary>
    public const int DefaultWidth = 800;
    /// <summary>Figure height in pixels unless told otherwise.</summary>
    public const int DefaultHeight = 500;
    /// <summary>The file formats figures are written in.</summary>
    public static readonly IReadOnlyList<string> Formats = new[] { "png", "svg" };

    /// <paramref name="figure"/> rendered as PNG bytes.
    public static byte[] Png(IMultiplot figure, int width = DefaultWidth, int height = DefaultHeight)
    {
        // The rendered image holds a native Skia bitmap: freed here, not left to the finalizer thread.
        using var image = figure.Render(width, height);
        return image.GetImageBytes(ImageFormat.Png, 100);
    }

    /// <paramref name="figure"/> rendered as an SVG document.
    public static string Svg(IMultiplot figure, int width = DefaultWidth, int height = DefaultHeight) =>
        NativeRuntime.WithoutNativeStderr(() =>   // Skia's SVG canvas complains on stderr of every dashed line (drawn solid)
        {
            using var stream = new MemoryStream();
            // The SVG canvas writes its closing tags only when disposed.
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
                figure.Render(canvas, new PixelRect(0, width, height, 0));
            return System.Text.Encoding.UTF8.GetString(stream.ToArray());
        });

    /// <summary>The format in lower case, or an <see cref="ArgumentException"/> naming the formats there are.</summary>
    public static string CheckFormat(string format) =>
        Formats.FirstOrDefault(f => f.Equals(format, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"figure format '{format}': expected one of {string.Join(", ", Formats)}", nameof(format));

    /// <summary>Writes <paramref name="figure"/> to <paramref name="path"/> in <paramref name="format"/> ("png" or "svg"), through a temporary file.</summary>
    public static void Save(IMultiplot figure, string path, string format = "png", int width = DefaultWidth, int height = DefaultHeight)
    {
        if (CheckFormat(format) == "png")
            AtomicFile.WriteAllBytes(path, Png(figure, width, height));
        else
            AtomicFile.WriteAllText(path, Svg(figure, width, height));
    }
}
