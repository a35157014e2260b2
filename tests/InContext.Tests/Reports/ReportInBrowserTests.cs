using InContext.Reports;
using Xunit;

namespace InContext.Tests.Reports;

/// <summary>The report as a reader sees it, in a real browser.</summary>
public class ReportInBrowserTests
{
    [Fact]
    public void The_report_opens_without_console_errors_and_shows_its_figures()
    {
        using var first = new SyntheticRun(name: "toy-a");
        using var second = new SyntheticRun(nDims: 4, positions: 9, models: SyntheticRun.PaperModels, name: "toy-b");
        var report = Path.Combine(first.Dir, "report.html");
        HtmlReport.Write(new[]
        {
            ReportRun.InFolder(first.Dir, first.Settings, [new("train_steps", "5001")]),
            ReportRun.InFolder(second.Dir, second.Settings, [new("train_steps", "5001")]),
        }, report);

        var screenshot = Path.Combine(first.Dir, "report.png");
        var log = Chromium.Screenshot(report, screenshot);

        Assert.Empty(Chromium.PageErrors(log));
        using var image = Pixels.DecodePng(screenshot);
        Assert.Equal((1400, 2000), (image.Width, image.Height));
        // The training curves and the first evaluation's figures fill the upper half, in both columns.
        foreach (var (left, right) in new[] { (0.0, 0.5), (0.5, 1.0) })
            Assert.True(Pixels.Variance(image, left, 0.1, right, 0.5) > 300, $"columns {left}..{right} of the screenshot look blank");
        // The figures really rendered: the transformer's blue (also the paper's transformer's), scaled by the browser, is in both columns.
        foreach (var (left, right) in new[] { (0.0, 0.5), (0.5, 1.0) })
            Assert.True(Pixels.Count(Pixels.Region(image, left, 0, right, 1), ModelPalette.For("transformer"), tolerance: 20) > 200,
                $"no transformer line in columns {left}..{right} of the screenshot");
    }

    [Fact]
    public void The_console_check_catches_a_page_that_fails()
    {
        var dir = Directory.CreateTempSubdirectory("incontext-chromium-page-").FullName;
        try
        {
            var page = Path.Combine(dir, "bad.html");
            File.WriteAllText(page, "<!DOCTYPE html><html><body><p>x</p><script>null.f();</script></body></html>");
            var log = Chromium.Screenshot(page, Path.Combine(dir, "bad.png"), 400, 300);
            Assert.NotEmpty(Chromium.PageErrors(log));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
