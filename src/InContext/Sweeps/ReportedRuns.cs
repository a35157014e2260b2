using InContext.Storage;
namespace InContext.Sweeps;

/// <summary>
/// The run folders a report over several folders shows, in the order given: each run folder, and
/// every evaluated run of each sweep folder (<see cref="SweepFolder.EvaluatedRuns"/>).
/// <see cref="LeftOut"/> names, one line each, what is left out and why: a sweep's runs not
/// evaluated yet, and among several folders, one with no evaluated run.
/// </summary>
public sealed record ReportedRuns(IReadOnlyList<RunFolder> Runs, IReadOnlyList<string> LeftOut)
{
    /// <summary>
    /// The runs of <paramref name="folders"/>. A single run folder is taken as it is (the report then
    /// says what is wrong with it); when no folder has an evaluated run, one line (InputException).
    /// </summary>
    public static ReportedRuns Of(IReadOnlyList<string> folders)
    {
        var runs = new List<RunFolder>();
        var partly = new List<string>();     // sweeps some of whose runs are not evaluated yet
        var unusable = new List<string>();   // folders given with no evaluated run, and why
        foreach (var d in folders)
        {
            if (SweepFolder.IsSweepFolder(d))
            {
                var sweep = SweepFolder.Open(d);
                var evaluated = sweep.EvaluatedRuns(out var skipped);
                runs.AddRange(evaluated);
                if (evaluated.Count == 0) unusable.Add($"{d}: no run of the sweep has been evaluated yet (`icl sweep status {Shell.Word(sweep.Path)}` shows where they stand)");
                else if (skipped.Count > 0) partly.Add($"{d}: {skipped.Count} run{(skipped.Count == 1 ? "" : "s")} not evaluated yet, left out: {string.Join(", ", skipped)}");
                continue;
            }
            var run = new RunFolder(d);
            // A run not evaluated yet beside others is left out and named; alone, it is refused (as is any other problem).
            if (folders.Count > 1 && run.HasConfig && !File.Exists(run.MetricsPath)) unusable.Add($"{d}: not evaluated yet (no {RunFolder.MetricsFileName})");
            else runs.Add(run);
        }
        if (runs.Count == 0)
            throw new InputException(unusable.Count == 1 ? unusable[0] : $"nothing to report, no folder given has an evaluated run: {string.Join("; ", unusable)}");
        return new ReportedRuns(runs, partly.Concat(unusable.Select(u => $"{u}; left out")).ToList());
    }
}
