using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using InContext.Evaluation;
using InContext.Reports;
using Xunit;

namespace InContext.Tests.Reports;

public class HtmlReportTests
{
    static readonly KeyValuePair<string, string>[] Config = { new("train_steps", "5001"), new("n_embd", "64") };

    /// <summary>The report is well-formed XML as well as HTML, so the tests read it with an XML parser.</summary>
    static XDocument Parse(string path) =>
        XDocument.Load(XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));

    static IEnumerable<XElement> Elements(XDocument doc, string name) => doc.Descendants(doc.Root!.Name.Namespace + name);

    [Fact]
    public void Relative_to_zero_the_report_shows_the_evaluations_with_the_zero_learner_and_says_what_the_others_lack()
    {
        using var run = new SyntheticRun();
        var relative = run.Settings.WithRelativeToZero();
        var report = Path.Combine(run.Dir, "report.html");
        Assert.Throws<ReportInputException>(() => HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, relative, Config) }, report));
        Assert.False(File.Exists(report));

        run.AddZeroTo("standard");
        HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, relative, Config) }, report);
        var doc = Parse(report);
        var tables = Elements(doc, "table").Where(t => t.Attribute("data-evaluation") != null);
        Assert.Equal(new[] { "standard" }, tables.Select(t => (string)t.Attribute("data-evaluation")!));
        var absent = Elements(doc, "p").Where(p => (string?)p.Attribute("class") == "absent").Select(p => p.Value);
        Assert.Contains(absent, text => text.StartsWith("not evaluated with predicting 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Columns_past_every_runs_prompts_are_refused_before_anything_is_written()
    {
        using var shorter = new SyntheticRun(positions: 6);
        using var longer = new SyntheticRun(positions: 11);
        var report = Path.Combine(shorter.Dir, "report.html");
        ReportRun[] Runs(int k) =>
        [
            ReportRun.InFolder(shorter.Dir, shorter.Settings, Config) with { Columns = new ExampleColumns([k]) },
            ReportRun.InFolder(longer.Dir, longer.Settings, Config) with { Columns = new ExampleColumns([k]) },
        ];
        var e = Assert.Throws<ParameterException>(() => HtmlReport.Write(Runs(11), report));
        Assert.Equal("k", e.Parameter);
        Assert.False(File.Exists(report));
        HtmlReport.Write(Runs(10), report);   // within the longer run's prompts: shown, '–' where the shorter has none
        Assert.True(File.Exists(report));
    }

    [Fact]
    public void The_table_shows_the_normalised_errors_at_1_half_d_d_and_2d_with_the_lowest_marked()
    {
        using var run = new SyntheticRun(nDims: 6, positions: 13);
        var report = Path.Combine(run.Dir, "report.html");
        HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, run.Settings, Config) }, report);

        var doc = Parse(report);
        var tables = Elements(doc, "table").Where(t => t.Attribute("data-evaluation") != null).ToList();
        Assert.Equal(SyntheticRun.Evaluations, tables.Select(t => (string)t.Attribute("data-evaluation")!));
        int[] columns = { 1, 3, 6, 12 };
        foreach (var table in tables)
        {
            var evaluation = run.Metrics.Evaluations[(string)table.Attribute("data-evaluation")!];
            var rows = Elements(doc, "tr").Where(r => r.Parent!.Parent == table && r.Attribute("data-model") != null).ToList();
            Assert.Equal(SyntheticRun.OurModels, rows.Select(r => (string)r.Attribute("data-model")!));
            foreach (var k in columns)
            {
                // Independent of the report's code: mean at k examples over d, three significant digits.
                var expected = rows.ToDictionary(r => (string)r.Attribute("data-model")!,
                    r => evaluation[(string)r.Attribute("data-model")!].Mean[k] / 6);
                double lowest = expected.Values.Min();
                foreach (var row in rows)
                {
                    var cell = row.Elements().Single(c => (string?)c.Attribute("data-k") == k.ToString());
                    var value = expected[(string)row.Attribute("data-model")!];
                    Assert.Equal(value.ToString("G3", CultureInfo.InvariantCulture), cell.Value);
                    bool marked = ((string)cell.Attribute("class")!).Split(' ').Contains("best");
                    Assert.Equal(value == lowest, marked);
                    Assert.Equal(marked, cell.Elements().Any(e => e.Name.LocalName == "b"));
                }
            }
        }
        Assert.False(File.Exists(report + ".tmp"));
    }

    [Fact]
    public void Columns_the_curves_do_not_reach_are_left_out_and_short_curves_show_a_dash()
    {
        using var run = new SyntheticRun(nDims: 6, positions: 8);
        var evaluation = run.Metrics.Evaluations["standard"];
        var lsq = evaluation[LeastSquares.Id];
        evaluation[LeastSquares.Id] = new PositionStats(lsq.Mean[..5], lsq.Std[..5], lsq.BootstrapLow[..5], lsq.BootstrapHigh[..5]);
        run.Metrics.Save(run.MetricsPath);
        var report = Path.Combine(run.Dir, "report.html");
        HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, run.Settings, Config) }, report);

        var table = Elements(Parse(report), "table").First(t => (string?)t.Attribute("data-evaluation") == "standard");
        var header = table.Descendants().First(e => e.Name.LocalName == "thead").Descendants().Where(e => e.Name.LocalName == "th").Skip(1);
        Assert.Equal(new[] { "1", "3", "6" }, header.Select(h => h.Value));
        var row = table.Descendants().Single(e => (string?)e.Attribute("data-model") == LeastSquares.Id);
        Assert.Equal(HtmlReport.Missing, row.Elements().Last().Value);
    }

    [Fact]
    public void Runs_stand_side_by_side_with_every_figure_inline_and_every_string_escaped()
    {
        using var first = new SyntheticRun(name: "first <run> & \"friends\"");
        using var second = new SyntheticRun(nDims: 4, positions: 9, models: SyntheticRun.PaperModels, trainLog: false, name: "paper's");
        var report = Path.Combine(first.Dir, "out", "report.html");
        var nasty = new KeyValuePair<string, string>("note", "<script>alert(1)</script>");
        HtmlReport.Write(new[]
        {
            ReportRun.InFolder(first.Dir, first.Settings, Config.Append(nasty).ToList()),
            ReportRun.InFolder(second.Dir, second.Settings, Config),
        }, report);

        var text = File.ReadAllText(report);
        var doc = Parse(report);
        Assert.Empty(Elements(doc, "script"));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", text);
        Assert.Contains("first &lt;run&gt; &amp; &quot;friends&quot;", text);
        Assert.DoesNotContain("http:", text); // nothing fetched (':' never occurs in base64)
        Assert.DoesNotContain("https:", text);
        Assert.Contains("repeat(2,", text);

        var sections = Elements(doc, "section").ToList();
        Assert.Equal(2 * (2 + SyntheticRun.Evaluations.Length), sections.Count);
        // Row-major: the same evaluation of both runs are neighbours in the grid.
        var headings = sections.Select(s => s.Elements().First().Value).ToList();
        Assert.Equal(new[] { "training", "training", "standard", "standard", "scale-x=0.5", "scale-x=0.5" }, headings.Skip(2));

        var images = Elements(doc, "img").Select(i => (string)i.Attribute("src")!).ToList();
        Assert.Equal(1 + 2 * SyntheticRun.Evaluations.Length, images.Count); // the second run has no training log
        foreach (var src in images)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            using var image = Pixels.DecodePng(Convert.FromBase64String(src["data:image/png;base64,".Length..]));
            Assert.Equal((FigureExport.DefaultWidth, FigureExport.DefaultHeight), (image.Width, image.Height));
        }
        Assert.Contains("no training log", text);
    }

    [Fact]
    public void A_model_filter_chooses_and_orders_the_rows()
    {
        using var run = new SyntheticRun();
        var report = Path.Combine(run.Dir, "report.html");
        string[] models = { Averaging.Id, InContext.Models.InContextTransformer.Id };
        HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, run.Settings, Config, models) }, report);

        var rows = Elements(Parse(report), "tr").Select(r => (string?)r.Attribute("data-model")).OfType<string>().ToList();
        Assert.Equal(Enumerable.Repeat(models, SyntheticRun.Evaluations.Length).SelectMany(m => m), rows);

        HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, run.Settings, Config, ["nothing"]) }, report);
        Assert.Contains("none of the chosen models", File.ReadAllText(report));
    }
}
