using System.Globalization;
using System.Text;
using InContext.Baselines;
using InContext.Config;
using InContext.Reports;
using InContext.Storage;
using InContext.Tasks;
using ScottPlot;

namespace InContext.Identification;

/// <summary>
/// One run of a task-diversity sweep, identified: its pool size, its seed, and averaged over the
/// prompt's positions k = 1 … n − 1, the model's own error, its SPD to dMMSE (the Bayes estimator over
/// its pool; NaN without a pool) and to the Bayes estimator of the Gaussian prior (ridge at σ²/τ², or
/// least squares for a noiseless task; NaN when the task has none), and the learner closest overall.
/// </summary>
public sealed record TaskDiversityRow(string Run, int? NumTasks, long Seed, double ModelError, double SpdToDmmse, double SpdToGaussianBayes,
    string GaussianBayes, string Closest);

/// <summary>
/// The task-diversity transition as this project measures it (Raventós et al. 2023): over runs that
/// differ in <c>num_tasks</c>, whether the model's predictions are closer to dMMSE (the Bayes estimator
/// of its finite pool) or to ridge (the Bayes estimator of the Gaussian prior it was drawn from).
/// Built from each run's <see cref="IdentificationResult"/> on its own distribution.
/// </summary>
public static class TaskDiversity
{
    /// <summary>The id of the Gaussian prior's Bayes estimator among the reference learners: ridge at σ²/τ², least squares when noiseless, null without one.</summary>
    public static string? GaussianBayesId(FunctionClass task) => task.BayesRidgePenalty switch
    {
        null => null,
        0 => LeastSquares.Id,
        { } alpha => Ridge.IdOf(alpha),
    };

    /// <summary>A run's row from its identification on its own distribution.</summary>
    public static TaskDiversityRow Row(string runName, RunConfig config, IdentificationResult result)
    {
        double Mean(double[] values) => values.Skip(1).DefaultIfEmpty(double.NaN).Average();
        double SpdTo(string? id) => id is not null && result.Learner(id) is { } l ? Mean(l.Spd) : double.NaN;
        var bayes = GaussianBayesId(config.CreateTask());
        var closest = result.Learners.MinBy(l => Mean(l.Spd))!.Id;
        return new TaskDiversityRow(runName, config.Training.NumTasks, config.Training.Seed, Mean(result.ModelError), SpdTo(DiscreteMmse.Id),
            SpdTo(bayes), bayes ?? "–", closest);
    }

    /// <summary>The table, runs ordered by pool size (unlimited last), then seed.</summary>
    public static ReportTable Table(IReadOnlyList<TaskDiversityRow> rows) => new(
        "task diversity: SPD of the model to dMMSE (its pool's Bayes estimator) and to the Gaussian prior's Bayes estimator, mean over k = 1 … n − 1",
        ["run", "num_tasks", "seed", "model error", "SPD to dMMSE", "SPD to Gaussian Bayes", "Gaussian Bayes", "closest overall"],
        Ordered(rows).Select(r => (IReadOnlyList<string>)[r.Run, Tasks(r.NumTasks), r.Seed.ToString(CultureInfo.InvariantCulture),
            IdentificationResult.F(r.ModelError), IdentificationResult.F(r.SpdToDmmse), IdentificationResult.F(r.SpdToGaussianBayes), r.GaussianBayes, r.Closest]).ToList());

    /// <summary>
    /// SPD to dMMSE and to the Gaussian Bayes estimator against the pool size (log axis, unlimited at the
    /// right as ∞), the mean over each size's seeds, with the model's own error dashed.
    /// </summary>
    public static Plot Figure(IReadOnlyList<TaskDiversityRow> rows, string title)
    {
        var sizes = rows.Select(r => r.NumTasks).Distinct().OrderBy(k => k ?? int.MaxValue).ToList();
        var largest = sizes.Where(k => k is not null).Select(k => (double)k!.Value).DefaultIfEmpty(1).Max();
        var xs = sizes.Select(k => k is { } v ? Math.Log2(v) : Math.Log2(largest) + 2).ToArray();
        double[] MeanOf(Func<TaskDiversityRow, double> value) =>
            sizes.Select(k => rows.Where(r => r.NumTasks == k).Select(value).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average()).ToArray();
        var lines = new List<FigureLine>
        {
            new("SPD to dMMSE", ModelPalette.For(DiscreteMmse.Id), MeanOf(r => r.SpdToDmmse), LinePattern.Solid),
            new("SPD to ridge (Gaussian Bayes)", ModelPalette.For(LeastSquares.Id), MeanOf(r => r.SpdToGaussianBayes), LinePattern.Solid),
            new("model's own error", ModelPalette.For(Models.InContextTransformer.Id), MeanOf(r => r.ModelError), LinePattern.Dashed),
        };
        return IdentificationFigures.Build(title, "num_tasks (pool size; ∞: a fresh w per prompt)", "mean over k (log scale)", xs, lines, log: true,
            xTicks: sizes.Select(Tasks).ToList());
    }

    /// <summary>Writes <c>task_diversity.png</c>, <c>.csv</c> and <c>.md</c> into <paramref name="outDir"/>; returns them.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<TaskDiversityRow> rows, string title, string outDir)
    {
        AtomicFile.EnsureFolderWritable(outDir);
        var (png, csv, md) = (Path.Combine(outDir, "task_diversity.png"), Path.Combine(outDir, "task_diversity.csv"), Path.Combine(outDir, "task_diversity.md"));
        FigureExport.Save(new Multiplot(Figure(rows, title)), png);
        var text = new StringBuilder("run,num_tasks,seed,model_error,spd_dmmse,spd_gaussian_bayes,gaussian_bayes,closest\n");
        foreach (var r in Ordered(rows))
            text.AppendLine(FormattableString.Invariant($"\"{r.Run}\",{r.NumTasks?.ToString(CultureInfo.InvariantCulture) ?? ""},{r.Seed},{r.ModelError:G6},{r.SpdToDmmse:G6},{r.SpdToGaussianBayes:G6},{r.GaussianBayes},{r.Closest}"));
        AtomicFile.WriteAllText(csv, text.ToString());
        AtomicFile.WriteAllText(md, Table(rows).Markdown(withCaption: true));
        return [png, csv, md];
    }

    static IEnumerable<TaskDiversityRow> Ordered(IEnumerable<TaskDiversityRow> rows) => rows.OrderBy(r => r.NumTasks ?? int.MaxValue).ThenBy(r => r.Seed);

    static string Tasks(int? numTasks) => numTasks?.ToString(CultureInfo.InvariantCulture) ?? "∞";
}
