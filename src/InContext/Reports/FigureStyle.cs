using ScottPlot;

namespace InContext.Reports;

/// <summary>The look every figure shares.</summary>
public static class FigureStyle
{
    /// <summary>Sans-serif faces Debian ships (fonts-dejavu-core, fonts-liberation), first found wins; otherwise ScottPlot's default.</summary>
    static readonly string[] SansFonts = { "DejaVu Sans", "Liberation Sans", "Arial" };
    static readonly string? Sans = SansFonts.FirstOrDefault(f => Fonts.GetTypeface(f, false, false)?.FamilyName == f);

    /// <summary>Sets the shared font (the first sans-serif face installed; else ScottPlot's default).</summary>
    public static void Apply(Plot plot)
    {
        if (Sans != null) plot.Font.Set(Sans);
    }

    /// <summary>
    /// Fixes the room around the data area, so panels stacked in one figure line their x-axes up
    /// whatever their tick labels, and leaves room on the right for a second y-axis.
    /// </summary>
    public static void FixMargins(Plot plot, bool title, bool xLabel) =>
        plot.Layout.Fixed(new PixelPadding(left: 75, right: 75, bottom: xLabel ? 50 : 30, top: title ? 40 : 15));

    /// <summary>Whole-number ticks on the x-axis, for counts such as in-context examples or steps.</summary>
    public static void IntegerXTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
}
