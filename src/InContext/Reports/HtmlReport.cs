using InContext.Training;
using System.Net;
using System.Text;
using InContext.Evaluation;
using InContext.Storage;

namespace InContext.Reports;

/// <summary>
/// One self-contained HTML page for one or more runs: figures inline as PNG data URIs, CSS
/// inline, no script and nothing fetched, so it can be mailed or archived as one file. Runs
/// stand side by side, one column each, and every section (config, training curve, each
/// evaluation) is one row of the grid, so the same evaluation of different runs lines up.
/// The markup is well-formed XML as well as HTML.
/// </summary>
public static class HtmlReport
{
    /// <summary>What a table cell shows where a model has no value.</summary>
    public const string Missing = "–";

    const string Css = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 1.5em; color: #222; }
        h1 { font-size: 1.5em; }
        h2 { font-size: 1.25em; margin: 0 0 .3em; }
        h3 { font-size: 1.05em; margin: 0 0 .4em; }
        .grid { display: grid; gap: 1.2em 2em; align-items: start; }
        .cell { min-width: 0; }
        .cell img { max-width: 100%; height: auto; display: block; }
        .dir, .absent { color: #666; font-size: .9em; }
        table { border-collapse: collapse; margin-top: .4em; font-size: .9em; }
        th, td { padding: .15em .6em; border-bottom: 1px solid #ddd; text-align: left; }
        td.num, thead th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.best { background: #e6f2e6; }
        .swatch { display: inline-block; width: .8em; height: .8em; margin-right: .4em; vertical-align: baseline; }
        caption { caption-side: top; text-align: left; color: #666; font-size: .9em; }
        section > img { max-width: 100%; height: auto; display: block; margin: .6em 0; }
        pre { background: #f6f6f6; padding: .4em .6em; font-size: .85em; overflow-x: auto; }
        """;

    /// <summary>
    /// Writes the report to <paramref name="outPath"/> (through a temporary file renamed into place).
    /// Every run's inputs are read before anything is written, so a bad run leaves no half report.
    /// </summary>
    /// <param name="runs">The runs, one column each, in order; at least one.</param>
    /// <param name="outPath">The HTML file to write.</param>
    /// <param name="figureWidth">Figure width in pixels.</param>
    /// <param name="figureHeight">Figure height in pixels.</param>
    /// <param name="summary">A table shown above the runs (e.g. the findings of <c>icl reproduce</c>), with its title.</param>
    /// <param name="title">The page's title and heading; null names the runs.</param>
    public static void Write(IReadOnlyList<ReportRun> runs, string outPath,
        int figureWidth = FigureExport.DefaultWidth, int figureHeight = FigureExport.DefaultHeight, ReportTable? summary = null, string? title = null)
    {
        if (runs.Count == 0) throw new ArgumentException("a report needs at least one run", nameof(runs));
        AtomicFile.EnsureWritable(outPath);   // a file where a folder of the path should be: one line, before any work
        var inputs = runs.Select(r => (Run: r, Metrics: RunInputs.LoadMetrics(r.MetricsPath, r.Settings.Positions), Log: RunInputs.LoadTrainLog(r.TrainLogPath))).ToList();
        if (!inputs.Any(i => i.Metrics.Evaluations.Values.Any(e => ErrorCurve.CanShow(e, i.Run.Settings))) && inputs.Any(i => i.Metrics.Evaluations.Count > 0))
            throw ErrorCurve.NoZero();
        // Runs may differ in length: a number of examples is refused only when no run's prompts reach it.
        var longest = inputs.SelectMany(i => i.Metrics.Evaluations.Values).SelectMany(e => e.Values).Select(s => s.Mean.Length).DefaultIfEmpty(0).Max();
        foreach (var columns in runs.Select(r => r.Columns).OfType<ExampleColumns>().Distinct()) columns.Within(longest);
        var html = Render(inputs, figureWidth, figureHeight, summary, title);
        AtomicFile.WriteAllText(outPath, html);
    }

    static string Render(IReadOnlyList<(ReportRun Run, MetricsFile Metrics, IReadOnlyList<LogRow>? Log)> runs, int width, int height, ReportTable? summary, string? heading)
    {
        var html = new StringBuilder();
        var title = heading ?? "InContext report: " + string.Join(", ", runs.Select(r => r.Run.Settings.RunName));
        Head(html, title);
        if (summary is not null) PlainTable(html, summary, "summary");
        html.Append($"<div class=\"grid\" style=\"grid-template-columns: repeat({runs.Count}, minmax(24em, 1fr));\">\n");

        foreach (var (run, _, _) in runs)
            Cell(html, "run", () => Header(html, run));
        foreach (var (run, _, log) in runs)
            Cell(html, "training", () =>
            {
                html.Append("<h3>training</h3>\n");
                if (log is { Count: > 0 })
                    Image(html, FigureExport.Png(TrainingCurveFigure.Build(log, run.Settings.RunName), width, height), $"training curve of {run.Settings.RunName}", width, height);
                else
                    html.Append("<p class=\"absent\">no training log (train_log.csv)</p>\n");
            });

        var evaluations = runs.SelectMany(r => r.Metrics.Evaluations.Keys).Distinct().ToList();
        foreach (var name in evaluations)
            foreach (var (run, metrics, _) in runs)
                Cell(html, "evaluation", () => Evaluation(html, name, run, metrics, width, height));

        html.Append("</div>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The page's start, up to and including its heading: a title, the shared style.</summary>
    internal static void Head(StringBuilder html, string title)
    {
        html.Append($"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<title>{E(title)}</title>\n<style>\n{Css}</style>\n</head>\n<body>\n");
        html.Append($"<h1>{E(title)}</h1>\n");
    }

    /// <summary>A <see cref="ReportTable"/>, every cell as text.</summary>
    internal static void PlainTable(StringBuilder html, ReportTable table, string cssClass)
    {
        html.Append($"<table class=\"{E(cssClass)}\">\n<caption>{E(table.Caption)}</caption>\n<thead>\n<tr>");
        foreach (var h in table.Header) html.Append($"<th>{E(h)}</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        foreach (var row in table.Rows) html.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>\n");
        html.Append("</tbody>\n</table>\n");
    }

    static void Cell(StringBuilder html, string kind, Action body)
    {
        html.Append($"<section class=\"cell {kind}\">\n");
        body();
        html.Append("</section>\n");
    }

    static void Header(StringBuilder html, ReportRun run)
    {
        var s = run.Settings;
        html.Append($"<h2>{E(s.RunName)}</h2>\n<p class=\"dir\">{E(run.RunDir)}</p>\n");
        html.Append("<table class=\"config\">\n<tbody>\n");
        foreach (var (key, value) in run.Config)
            html.Append($"<tr><th scope=\"row\">{E(key)}</th><td>{E(value)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n");
    }

    static void Evaluation(StringBuilder html, string name, ReportRun run, MetricsFile metrics, int width, int height)
    {
        html.Append($"<h3>{E(name)}</h3>\n");
        if (!metrics.Evaluations.TryGetValue(name, out var evaluation))
        {
            html.Append("<p class=\"absent\">not evaluated</p>\n");
            return;
        }
        if (!ErrorCurve.CanShow(evaluation, run.Settings))
        {
            html.Append("<p class=\"absent\">not evaluated with predicting 0 (<code>icl eval --relative-to-zero</code> adds it)</p>\n");
            return;
        }
        var curves = ErrorCurve.ForEvaluation(evaluation, run.Settings, run.Models);
        if (curves.Count == 0)
        {
            html.Append("<p class=\"absent\">none of the chosen models</p>\n");
            return;
        }
        Image(html, FigureExport.Png(new ScottPlot.Multiplot(ErrorFigure.Build(name, curves, run.Settings)), width, height), $"{name}: {run.Settings.RunName}", width, height);
        Table(html, new ErrorTable(curves, run.Settings, run.Columns), name);
    }

    static void Table(StringBuilder html, ErrorTable table, string evaluation)
    {
        html.Append($"<table class=\"errors\" data-evaluation=\"{E(evaluation)}\">\n<caption>{E(table.Caption)}</caption>\n<thead>\n<tr><th>model \\ k</th>");
        foreach (var k in table.Columns)
            html.Append($"<th class=\"num\">{k}</th>");
        html.Append("</tr>\n</thead>\n<tbody>\n");
        foreach (var curve in table.Curves)
        {
            var color = ModelPalette.For(curve.ModelId).ToHex();
            html.Append($"<tr data-model=\"{E(curve.ModelId)}\"><th scope=\"row\"><span class=\"swatch\" style=\"background: {color};\"></span>{E(ModelDisplay.Name(curve.ModelId))}</th>");
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var value = ErrorTable.Value(curve, table.Columns[c]);
                var text = value.HasValue ? E(ErrorTable.Format(value.Value)) : Missing;
                html.Append(table.IsBest(curve, c)
                    ? $"<td class=\"num best\" data-k=\"{table.Columns[c]}\"><b>{text}</b></td>"
                    : $"<td class=\"num\" data-k=\"{table.Columns[c]}\">{text}</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    internal static void Image(StringBuilder html, byte[] png, string alt, int width, int height) =>
        html.Append($"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{E(alt)}\" width=\"{width}\" height=\"{height}\" />\n");

    internal static string E(string text) => WebUtility.HtmlEncode(text);
}
