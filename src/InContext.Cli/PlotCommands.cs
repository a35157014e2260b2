using System.CommandLine;
using InContext.Reports;
using InContext.Sweeps;


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
            var given = p.GetValue(runDirs)!;
            var entries = new List<ReportRun>();
            var notes = new List<string>();      // sweeps some of whose runs are not evaluated yet
            var unusable = new List<string>();   // folders given with no evaluated run, and why
            foreach (var d in given)
            {
                if (SweepFolder.IsSweepFolder(d))
                {
                    // A sweep's folder: every run of it that has been evaluated.
                    var sweep = SweepFolder.Open(d);
                    var runs = sweep.EvaluatedRuns(out var skipped);
                    entries.AddRange(runs.Select(r => Entry(r.Path)));
                    if (runs.Count == 0) unusable.Add($"{d}: no run of the sweep has been evaluated yet (`icl sweep status {Shell.Word(sweep.Path)}` shows where they stand)");
                    else if (skipped.Count > 0) notes.Add($"{d}: {skipped.Count} run{(skipped.Count == 1 ? "" : "s")} not evaluated yet, left out: {string.Join(", ", skipped)}");
                    continue;
                }
                var run = new RunFolder(d);
                // A run not evaluated yet beside others is left out and named; alone, it is refused (as is any other problem).
                if (given.Length > 1 && run.HasConfig && !File.Exists(run.MetricsPath)) unusable.Add($"{d}: not evaluated yet (no {RunFolder.MetricsFileName})");
                else entries.Add(Entry(d));
            }
            if (entries.Count == 0)
                throw new InputException(unusable.Count == 1 ? unusable[0] : $"nothing to report, no folder given has an evaluated run: {string.Join("; ", unusable)}");
            foreach (var note in notes.Concat(unusable.Select(u => $"{u}; left out"))) Console.Error.WriteLine($"note: {note}");
            HtmlReport.Write(entries, p.GetValue(outPath)!);
            Console.WriteLine(Path.GetFullPath(p.GetValue(outPath)!));
            return 0;
        });
        return cmd;
    }
}
