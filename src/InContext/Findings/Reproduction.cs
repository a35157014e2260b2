using System.Globalization;
using System.Text.Json;
using InContext.Config;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Storage;
using InContext.Training;

namespace InContext.Findings;

/// <summary>How long an experiment took on this machine, summed over every session that worked on it.</summary>
public sealed record Timing(double TrainSeconds, double EvalSeconds);

/// <summary>
/// A scale at which <c>icl reproduce</c> tests the paper's findings: its four experiments' configs
/// (<c>conf/reproduce/NAME/</c>, embedded in the program so every machine runs the same), and what
/// it is for.
/// </summary>
public sealed record Scale(string Name, string Description)
{
    /// <summary>Tiny model, small d, tens of thousands of steps: the four findings × 3 seeds in about two hours on a 2-core CPU.</summary>
    public static readonly Scale Cpu = new("cpu", "the paper's tiny model at small d, sized for a 2-core CPU");
    /// <summary>The small model at the paper's learning rate, sized so that the four findings × 3 seeds should fit ten minutes on one H200 (estimated from one seed; not yet timed as packs).</summary>
    public static readonly Scale Gpu = new("gpu", "the paper's small model at its learning rate, sized for ten minutes of one GPU");
    /// <summary>The paper's own four configs, unchanged: hours per finding on a GPU.</summary>
    public static readonly Scale Paper = new("paper", "the paper's own configs (standard model, d = 20, 500k steps)");

    /// <summary>The scales, smallest first.</summary>
    public static readonly IReadOnlyList<Scale> All = [Cpu, Gpu, Paper];

    /// <summary>The scale named <paramref name="name"/>; another name is a <see cref="ParameterException"/> of <c>scale</c>.</summary>
    public static Scale Get(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ParameterException("scale", $"{Printable.Escape(name)}: expected {string.Join(", ", All.Select(s => s.Name))}");

    /// <summary>The seeds a finding is decided over unless asked otherwise.</summary>
    public static readonly IReadOnlyList<long> DefaultSeeds = [0, 1, 2];

    /// <summary>The experiment <paramref name="finding"/>'s config at this scale as shipped (conf/reproduce/SCALE/NAME.yaml, embedded), its runs under <paramref name="outDir"/>.</summary>
    public RunConfig Config(string finding, string outDir)
    {
        using var stream = typeof(Experiment).Assembly.GetManifestResourceStream($"InContext.reproduce.{Name}.{finding}.yaml")
                           ?? throw new InvalidOperationException($"no embedded config for {finding} at scale {Name}");
        using var reader = new StreamReader(stream);
        return RunConfig.Parse(reader.ReadToEnd(), $"reproduce/{Name}/{finding}.yaml (embedded)") with { OutDir = Path.GetFullPath(outDir) };
    }
}

/// <summary>
/// One finding's experiment at one scale, in its folder <c>&lt;out&gt;/&lt;finding&gt;/</c>: a pack of
/// runs, one per seed (<c>seed=S/</c>, ordinary run folders, trained together:
/// <see cref="SeedPacks"/>), the seeds' mean (<c>mean/</c>: metrics.json and figures), and the time
/// spent (<c>timing.json</c>). Every step resumes: a second <c>icl reproduce</c> continues where the
/// first stopped.
/// </summary>
public sealed class Experiment
{
    /// <summary>The file in the experiment's folder that holds the time spent so far.</summary>
    public const string TimingFileName = "timing.json";
    /// <summary>The folder of the seeds' mean: its metrics.json and figures.</summary>
    public const string MeanFolderName = "mean";

    /// <summary>An experiment of <paramref name="finding"/> at <paramref name="scale"/> over <paramref name="seeds"/>, in <c>&lt;outDir&gt;/&lt;finding&gt;/</c>.</summary>
    public Experiment(Finding finding, string outDir, Scale? scale = null, IReadOnlyList<long>? seeds = null)
    {
        Finding = finding;
        Scale = scale ?? Scale.Cpu;
        Seeds = seeds ?? Scale.DefaultSeeds;
        Folder = Path.Combine(Path.GetFullPath(outDir), finding.Name);
        var shipped = Scale.Config(finding.Name, outDir);
        Runs = SeedPacks.Members(shipped, Seeds).Select(config =>
        {
            var run = new RunFolder(Path.Combine(Folder, SeedPacks.MemberFolderName(config.Training.Seed)));
            if (!run.HasConfig) return (config, run);
            // A folder of another scale (or an edited config) is not this experiment: refused, never mixed in.
            var own = run.LoadConfig();
            var differences = own.DifferencesFrom(config, "out_dir");
            if (differences.Count > 0)
                throw new InputException($"{run.ConfigPath}: holds a run of another experiment than {finding.Name} at scale {Scale.Name} ({string.Join(", ", differences.Take(3).Select(d => $"{d.Key} {d.This} there, {d.Other} here"))}); give another --out");
            return (own, run);
        }).ToList();
    }

    /// <summary>The finding the experiment tests.</summary>
    public Finding Finding { get; }
    /// <summary>The scale of its config.</summary>
    public Scale Scale { get; }
    /// <summary>The seeds it is decided over.</summary>
    public IReadOnlyList<long> Seeds { get; }
    /// <summary>Its folder, <c>&lt;out&gt;/&lt;finding&gt;/</c>.</summary>
    public string Folder { get; }
    /// <summary>Each seed's run: its config (the folder's own once it exists) and its folder.</summary>
    public IReadOnlyList<(RunConfig Config, RunFolder Run)> Runs { get; }

    /// <summary>The config of the experiment (its first seed's).</summary>
    public RunConfig Config => Runs[0].Config;

    /// <summary>Whether every seed's run has reached the config's <c>train_steps</c>.</summary>
    public bool Trained => Runs.All(r => SeedPacks.StepsDone(r.Run) >= r.Config.Training.TrainSteps);

    /// <summary>Whether every seed's metrics.json holds the standard evaluation of its current checkpoint (a stale one does not count).</summary>
    public bool Evaluated => Runs.All(r => RunEvaluation.IsCurrent(r.Run, ["standard"]));

    /// <summary>The folder of the seeds' mean, <c>&lt;finding&gt;/mean/</c>.</summary>
    public string MeanFolder => Path.Combine(Folder, MeanFolderName);

    /// <summary>The time spent so far (zeros before any).</summary>
    public Timing Timing
    {
        get
        {
            var path = Path.Combine(Folder, TimingFileName);
            if (!File.Exists(path)) return new Timing(0, 0);
            try { return JsonSerializer.Deserialize<Timing>(File.ReadAllText(path)) ?? new Timing(0, 0); }
            catch (JsonException e) { throw new InputException($"{path}: not a timing file ({e.Message.Split('\n')[0]}); delete it to start the count afresh"); }
        }
    }

    /// <summary>Adds seconds of training or evaluation to the experiment's timing.</summary>
    public void AddTime(double trainSeconds, double evalSeconds)
    {
        var t = Timing;
        Directory.CreateDirectory(Folder);
        AtomicFile.WriteAllText(Path.Combine(Folder, TimingFileName), JsonSerializer.Serialize(new Timing(t.TrainSeconds + trainSeconds, t.EvalSeconds + evalSeconds)));
    }

    /// <summary>The plot settings of the experiment, which normalise the errors its finding compares.</summary>
    public PlotSettings Settings => RunPlots.SettingsOf(Config, Finding.Name);

    /// <summary>Decides the finding on each seed's metrics.json, and over the seeds.</summary>
    public SeedVerdict Decide() =>
        new(Runs.Select(r => r.Config.Training.Seed).ToList(), Runs.Select(r => Finding.Decide(RunEvaluation.LoadMetrics(r.Run), Settings)).ToList());

    /// <summary>Writes the seeds' mean (<see cref="SeedSpread"/>) as <c>mean/metrics.json</c> and its figures (the mean, a band from the lowest seed to the highest); returns the report's column for it.</summary>
    public ReportRun WriteMean()
    {
        var mean = SeedSpread.Across(Runs.Select(r => RunEvaluation.LoadMetrics(r.Run)).ToList());
        var metricsPath = Path.Combine(MeanFolder, RunFolder.MetricsFileName);
        Directory.CreateDirectory(MeanFolder);
        mean.Save(metricsPath);
        var settings = Settings with { RunName = $"{Finding.Name}, mean of {Runs.Count} seed{(Runs.Count == 1 ? "" : "s")}" };
        Figures.WriteAll(metricsPath, null, settings, Path.Combine(MeanFolder, RunFolder.PlotsFolderName));
        var m = Config.Model;
        var t = Config.Training;
        IReadOnlyList<KeyValuePair<string, string>> brief =
        [
            new("task", Config.CreateTask().Describe()),
            new("model", $"{m.NEmbd} embd / {m.NLayer} layers / {m.NHead} heads"),
            new("dims, points", $"d={m.NDims}, {t.Curriculum.Points.End} points"),
            new("training", $"{t.TrainSteps} steps, batch {t.BatchSize}, lr {t.LearningRate.ToString(CultureInfo.InvariantCulture)}, seeds {string.Join(", ", Seeds)}"),
            new("figures", "the seeds' mean; the band spans the seeds, lowest to highest"),
        ];
        return new ReportRun(MeanFolder, settings, brief, metricsPath, null);
    }
}

/// <summary>The findings of <c>icl reproduce</c> as a table: per finding and condition, each seed's numbers, their mean and spread, and the verdict over the seeds.</summary>
public static class Reproduction
{
    static string N(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>
    /// The table: a row per condition of each experiment, with each seed's model error (its bootstrap
    /// 90% interval in brackets) against the best other's, whether it held, the seeds' mean ± standard
    /// deviation, and on the finding's first row its verdict over the seeds and the time it took.
    /// </summary>
    public static ReportTable Summary(IReadOnlyList<Experiment> experiments)
    {
        static string Minutes(double s) => s <= 0 ? "–" : $"{s / 60:F1} min";
        var seeds = experiments.SelectMany(e => e.Seeds).Distinct().ToList();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var e in experiments)
        {
            var verdict = e.Decide();
            var t = e.Timing;
            var conditions = verdict.PerSeed[0].Checks.Count;
            for (var c = 0; c < conditions; c++)
            {
                var checks = verdict.PerSeed.Select(v => v.Checks[c]).ToList();
                var perSeed = seeds.Select(s => verdict.Seeds.ToList().IndexOf(s) is var i and >= 0
                    ? $"{N(checks[i].Value)} [{N(checks[i].Low)}, {N(checks[i].High)}] vs {N(checks[i].Other)}: {(checks[i].Holds ? "yes" : "no")}" : "–");
                var values = checks.Select(k => k.Value).ToList();
                var first = c == 0;
                rows.Add([
                    first ? e.Finding.Name : "", checks[0].Description, .. perSeed,
                    $"{N(values.Average())} ± {N(SeedSpread.StandardDeviation(values))} vs {N(checks.Average(k => k.Other))}",
                    $"{checks.Count(k => k.Holds)} of {checks.Count}",
                    first ? verdict.Describe() : "", first ? Minutes(t.TrainSeconds) : "", first ? Minutes(t.EvalSeconds) : "",
                ]);
            }
        }
        var scale = experiments.Select(e => e.Scale).Distinct().Single();
        return new ReportTable(
            $"The paper's findings at {scale.Name} scale ({scale.Description}), over {seeds.Count} seed{(seeds.Count == 1 ? "" : "s")}: the standard evaluation, errors normalised as in the paper; "
            + "each seed's error [its bootstrap 90% interval] against the best other's; a finding holds when its rule holds for every seed, is mixed when for some, does not hold when for none",
            ["finding", "condition", .. seeds.Select(s => $"seed {s}"), "mean ± sd", "holds for", "verdict", "training", "evaluation"], rows);
    }

    /// <summary>
    /// Every finished experiment at <paramref name="scale"/> in <paramref name="outDir"/> (so that runs
    /// of some findings at a time add up to the whole table): writes each one's seed mean, then
    /// <c>summary.md</c> and <c>report.html</c> (the seeds' means side by side under the summary) there,
    /// and returns the summary as Markdown.
    /// </summary>
    public static string WriteSummary(string outDir, Scale? scale = null, IReadOnlyList<long>? seeds = null)
    {
        var done = PaperFindings.All.Select(f => new Experiment(f, outDir, scale, seeds)).Where(e => e.Trained && e.Evaluated).ToList();
        if (done.Count == 0) throw new InputException($"{outDir}: no finished experiment to summarise");
        var columns = done.Select(e => e.WriteMean()).ToList();
        var summary = Summary(done);
        var markdown = summary.Markdown(withCaption: true);
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), markdown);
        HtmlReport.Write(columns, Path.Combine(outDir, "report.html"), summary: summary,
            title: $"The paper's findings at {done[0].Scale.Name} scale, over {done[0].Seeds.Count} seed{(done[0].Seeds.Count == 1 ? "" : "s")}");
        return markdown;
    }
}
