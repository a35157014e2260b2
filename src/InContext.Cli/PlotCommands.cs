using System.CommandLine;
using InContext.Reports;
using InContext.Sweeps;
using InContext.Storage;


namespace InContext.Cli;

static class PlotCommands
{
    public static Command Plot()
    {
        var runDir = new Argument<string>("run-dir") { Description = "A run folder with metrics.json (icl eval writes it)." };
        var outDir = new Option<string?>("--out") { Description = "Folder for the figures (default: RUN_DIR/plots)." };
        var models = new Option<string[]>("--models") { Description = "Only these models (ids as in metrics.json).", AllowMultipleArgumentsPerToken = true };
        var format = new Option<string>("--format") { Description = "png or svg.", DefaultValueFactory = _ => "png" };
        format.AcceptOnlyFromAmong("png", "svg");
        var zero = Lists.RelativeToZeroOption();
        var cmd = new Command("plot", "The paper's figures for a run: error against in-context examples per evaluation, and the training curve.") { runDir, outDir, models, format, zero };
        cmd.SetAction(p =>
        {
            var files = RunPlots.Write(new RunFolder(p.GetValue(runDir)!), p.GetValue(outDir), Lists.Split(p.GetValue(models)), p.GetValue(format)!, p.GetValue(zero));
            foreach (var f in files) Console.WriteLine(f);
            return 0;
        });
        return cmd;
    }

    public static Command Report()
    {
        var runDirs = new Argument<string[]>("run-dirs") { Description = "One or more run folders or sweep folders (all their evaluated runs), shown side by side.", Arity = ArgumentArity.OneOrMore };
        var outPath = new Option<string>("--out") { Description = "The HTML file.", DefaultValueFactory = _ => "report.html" };
        var models = new Option<string[]>("--models") { Description = "Only these models.", AllowMultipleArgumentsPerToken = true };
        var k = Lists.ExamplesOption();
        var reportZero = Lists.RelativeToZeroOption();
        var cmd = new Command("report", "One self-contained HTML report (figures inline) of one or more runs.") { runDirs, outPath, models, k, reportZero };
        cmd.SetAction(p =>
        {
            var columns = Lists.Examples(p.GetValue(k));
            ReportRun Entry(string dir) => RunPlots.ReportEntry(new RunFolder(dir), Lists.Split(p.GetValue(models)), p.GetValue(reportZero)) with { Columns = columns };
            var reported = ReportedRuns.Of(p.GetValue(runDirs)!);
            var entries = reported.Runs.Select(r => Entry(r.Path)).ToList();
            foreach (var note in reported.LeftOut) Console.Error.WriteLine($"note: {note}");
            HtmlReport.Write(entries, p.GetValue(outPath)!);
            Console.WriteLine(Path.GetFullPath(p.GetValue(outPath)!));
            return 0;
        });
        return cmd;
    }
}
