using System.Xml;
using System.Xml.Linq;
using InContext.Reports;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Reports;

/// <summary>The page a lab (labs/*.cs) fills as it runs: each figure a PNG file and inline on the page.</summary>
public class FigurePageTests
{
    [Fact]
    public void Each_figure_is_a_png_file_and_the_same_image_on_the_page_beside_the_printed_lines_and_tables()
    {
        var dir = TestPaths.TempDir();
        var echo = new StringWriter();
        var page = new FigurePage(Path.Combine(dir, "out"), "A <lab>", echo);
        page.Heading("Attention");
        page.Print("shape [4, 22] & more");
        page.Print("second line");
        using var weights = softmax(randn(6, 6).masked_fill(ones(6, 6).tril().logical_not().to(ScalarType.Bool), double.NegativeInfinity), -1);
        var file = page.Add("attention", AttentionFigure.Build(weights, "attention"), 300, 200);
        page.Heading("Numbers");
        page.Add(new ReportTable("errors", ["model", "k = 1"], [["Least Squares", "0.743"]]));
        var html = page.Write("lab.html");

        Assert.Equal(Path.Combine(dir, "out", "attention.png"), file);
        var png = File.ReadAllBytes(file);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal([file], page.FigureFiles);

        var doc = XDocument.Load(XmlReader.Create(html, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        var ns = doc.Root!.Name.Namespace;
        Assert.Equal("A <lab>", doc.Descendants(ns + "h1").Single().Value);
        Assert.Equal(["Attention", "Numbers"], doc.Descendants(ns + "h2").Select(h => h.Value));
        Assert.Equal("shape [4, 22] & more\nsecond line", doc.Descendants(ns + "pre").Single().Value);   // consecutive lines: one block
        var image = doc.Descendants(ns + "img").Single();
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), (string)image.Attribute("src")!);
        Assert.Equal(["Least Squares", "0.743"], doc.Descendants(ns + "td").Select(td => td.Value));

        var printed = echo.ToString();
        Assert.Contains("shape [4, 22] & more", printed);
        Assert.Contains($"figure: {file}", printed);
        Assert.Contains("Least Squares | 0.743", printed);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void The_attention_figure_refuses_weights_that_are_not_one_head_of_one_prompt()
    {
        using var batch = ones(2, 6, 6);
        var e = Assert.Throws<ArgumentException>(() => AttentionFigure.Build(batch, "attention"));
        Assert.Contains("[2, 6, 6]", e.Message);
    }
}
