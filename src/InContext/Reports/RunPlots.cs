using System.Globalization;
using InContext.Config;
using InContext.Storage;

namespace InContext.Reports;

/// <summary>The figures and report entry of a run folder, from its config, metrics.json and train_log.csv.</summary>
public static class RunPlots
{
    /// <summary>The plot settings of a run with <paramref name="config"/>, named <paramref name="name"/> in titles.</summary>
    public static PlotSettings SettingsOf(RunConfig config, string name) =>
        PlotSettings.For(config.CreateTask(), config.Model.NDims, name) with { Positions = Evaluation.EvaluationProblem.Of(config).NPoints };

    /// <summary>Writes every figure of the run (default: into its <c>plots/</c>); returns the files.</summary>
    public static IReadOnlyList<string> Write(RunFolder run, string? outDir = null, IReadOnlyList<string>? models = null, string format = "png", bool relativeToZero = false)
    {
        var config = run.LoadConfig();
        var settings = SettingsOf(config, run.Name);
        return Figures.WriteAll(run.MetricsPath, run.TrainLogPath, relativeToZero ? settings.WithRelativeToZero() : settings, outDir ?? run.PlotsPath, models, format);
    }

    /// <summary>The run as a column of the HTML report, with its config in brief.</summary>
    public static ReportRun ReportEntry(RunFolder run, IReadOnlyList<string>? models = null, bool relativeToZero = false)
    {
        var c = run.LoadConfig();
        var m = c.Model;
        var t = c.Training;
        var brief = new List<KeyValuePair<string, string>>
        {
            new("task", c.CreateTask().Describe()),
            new("model", $"{m.NEmbd} embd / {m.NLayer} layers / {m.NHead} heads"),
            new("dims, points", $"d={m.NDims}, {t.Curriculum.Points.End} points (n_positions {m.NPositions})"),
            new("training", $"{t.TrainSteps} steps, batch {t.BatchSize}, lr {t.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {t.Seed}"),
            new("curriculum", $"dims {t.Curriculum.Dims.Start}→{t.Curriculum.Dims.End}, points {t.Curriculum.Points.Start}→{t.Curriculum.Points.End}"),
        };
        var settings = SettingsOf(c, run.Name);
        return ReportRun.InFolder(run.Path, relativeToZero ? settings.WithRelativeToZero() : settings, brief, models);
    }
}
