using System.Globalization;
using System.Text.Json;
using InContext.Config;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Storage;

namespace InContext.Findings;

/// <summary>How long an experiment took on this machine, summed over every session that worked on it.</summary>
public sealed record Timing(double TrainSeconds, double EvalSeconds);

/// <summary>
/// One finding's CPU-scale experiment in its folder (<c>&lt;out&gt;/&lt;finding&gt;/</c>, a run
/// folder): its config (embedded, the same on every machine), whether it is trained and evaluated,
/// how long that took, and the verdict. Every step resumes: a second <c>icl reproduce</c> continues
/// where the first stopped.
/// </summary>
public sealed class Experiment(Finding finding, string outDir)
{
    /// <summary>The file in the run folder that holds the time spent so far.</summary>
    public const string TimingFileName = "timing.json";

    /// <summary>The finding the experiment tests.</summary>
    public Finding Finding { get; } = finding;
    /// <summary>The experiment's run folder, <c>&lt;out&gt;/&lt;finding&gt;/</c>.</summary>
    public RunFolder Run { get; } = new(Path.Combine(outDir, finding.Name));

    /// <summary>The run's config: the folder's own once it exists, else the embedded one.</summary>
    public RunConfig Config => Run.HasConfig ? Run.LoadConfig() : EmbeddedConfig(Finding.Name, Path.GetDirectoryName(Run.Path)!);

    /// <summary>The experiment's config as shipped (conf/reproduce/NAME.yaml, embedded in the program), its runs under <paramref name="outDir"/>.</summary>
    public static RunConfig EmbeddedConfig(string name, string outDir)
    {
        using var stream = typeof(Experiment).Assembly.GetManifestResourceStream($"InContext.reproduce.{name}.yaml")
                           ?? throw new InvalidOperationException($"no embedded config for {name}");
        using var reader = new StreamReader(stream);
        return RunConfig.Parse(reader.ReadToEnd(), $"reproduce/{name}.yaml (embedded)") with { OutDir = Path.GetFullPath(outDir) };
    }

    /// <summary>Steps trained so far, from <c>state.pt</c> (0 before the first save).</summary>
    public int StepsDone
    {
        get
        {
            if (!Run.HasState) return 0;
            return (Interop.CheckpointStep.Read(Run.StatePath) ?? -1) + 1;
        }
    }

    /// <summary>Whether training has reached the config's <c>train_steps</c>.</summary>
    public bool Trained => StepsDone >= Config.Training.TrainSteps;

    /// <summary>Whether metrics.json holds the standard evaluation of the run's current checkpoint (a stale one does not count).</summary>
    public bool Evaluated => RunEvaluation.IsCurrent(Run, ["standard"]);

    /// <summary>The time spent so far (zeros before any).</summary>
    public Timing Timing
    {
        get
        {
            var path = Path.Combine(Run.Path, TimingFileName);
            if (!File.Exists(path)) return new Timing(0, 0);
            try { return JsonSerializer.Deserialize<Timing>(File.ReadAllText(path)) ?? new Timing(0, 0); }
            catch (JsonException e) { throw new InputException($"{path}: not a timing file ({e.Message.Split('\n')[0]}); delete it to start the count afresh"); }
        }
    }

    /// <summary>Adds seconds of training or evaluation to the experiment's timing.</summary>
    public void AddTime(double trainSeconds, double evalSeconds)
    {
        var t = Timing;
        AtomicFile.WriteAllText(Path.Combine(Run.Path, TimingFileName), JsonSerializer.Serialize(new Timing(t.TrainSeconds + trainSeconds, t.EvalSeconds + evalSeconds)));
    }

    /// <summary>The plot settings of the run, which normalise the errors its finding compares.</summary>
    public PlotSettings Settings => RunPlots.SettingsOf(Config, Finding.Name);

    /// <summary>Decides the finding from the run's metrics.json.</summary>
    public Verdict Decide() => Finding.Decide(RunEvaluation.LoadMetrics(Run), Settings);
}

/// <summary>The findings of <c>icl reproduce</c> as a table: per finding the claim, the numbers that decide it, the verdict and the time taken.</summary>
public static class Reproduction
{
    /// <summary>The table: one row per experiment, with its claim, numbers, verdict and time (each is decided from its metrics.json).</summary>
    public static ReportTable Summary(IReadOnlyList<Experiment> experiments)
    {
        static string N(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        static string Minutes(double s) => s <= 0 ? "–" : $"{s / 60:F1} min";
        var rows = experiments.Select(e =>
        {
            var verdict = e.Decide();
            var numbers = string.Join("; ", verdict.Checks.Select(c => $"{c.Description}: {N(c.Value)} vs {N(c.Other)} ({(c.Holds ? "yes" : "no")})"));
            var t = e.Timing;
            return (IReadOnlyList<string>)[e.Finding.Name, e.Finding.Claim, numbers, verdict.Holds ? "holds" : "does not hold at this scale", Minutes(t.TrainSeconds), Minutes(t.EvalSeconds)];
        }).ToList();
        return new ReportTable("The paper's findings at CPU scale (standard evaluation, errors normalised as in the paper)",
            ["finding", "claim", "numbers that decide it", "verdict", "training", "evaluation"], rows);
    }

    /// <summary>
    /// Every finished experiment in <paramref name="outDir"/> (so that runs of some findings at a time
    /// add up to the whole table): writes <c>summary.md</c> and <c>report.html</c> (all runs side by
    /// side under the summary) there, and returns the summary as Markdown.
    /// </summary>
    public static string WriteSummary(string outDir)
    {
        var done = PaperFindings.All.Select(f => new Experiment(f, outDir)).Where(e => e.Run.HasState && e.Trained && e.Evaluated).ToList();
        if (done.Count == 0) throw new InputException($"{outDir}: no finished experiment to summarise");
        var summary = Summary(done);
        var markdown = summary.Markdown();
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), markdown);
        HtmlReport.Write(done.Select(e => RunPlots.ReportEntry(e.Run)).ToList(), Path.Combine(outDir, "report.html"), summary: summary,
            title: "The paper's findings at CPU scale");
        return markdown;
    }
}
