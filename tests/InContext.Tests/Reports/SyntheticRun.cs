using System.Globalization;
using InContext.Evaluation;
using InContext.Reports;
using InContext.Storage;

namespace InContext.Tests.Reports;

/// <summary>
/// A run folder in a fresh temp directory with a metrics.json and a train_log.csv made up for
/// the test: smooth, distinct curves per model, so figures have something to show.
/// </summary>
public sealed class SyntheticRun : IDisposable
{
    public static readonly string[] OurModels = { InContext.Models.InContextTransformer.Id, LeastSquares.Id, NearestNeighbours.IdOf(3), Averaging.Id };
    public static readonly string[] PaperModels = { "gpt2_embd=256_layer=12_head=8", "OLS_driver=None", "NN_n=3_uniform", "averaging" };
    public static readonly string[] Evaluations = { "standard", "scale-x=0.5" };

    public string Dir { get; } = Directory.CreateTempSubdirectory("incontext-reports-").FullName;
    public string MetricsPath => Path.Combine(Dir, RunFolder.MetricsFileName);
    public string TrainLogPath => Path.Combine(Dir, RunFolder.TrainLogFileName);
    public PlotSettings Settings { get; }
    public MetricsFile Metrics { get; } = new();

    public SyntheticRun(int nDims = 5, int positions = 11, IReadOnlyList<string>? models = null, string task = "linear_regression",
        string name = "toy", bool trainLog = true)
    {
        Settings = PlotSettings.For(TaskRegistry.CreateDefault(task, nDims), nDims, name);
        models ??= OurModels;
        foreach (var (evaluation, e) in Evaluations.Select((v, i) => (v, i)))
            for (int m = 0; m < models.Count; m++)
            {
                // Model m's error falls from d to a floor that rises with m, so lines do not coincide.
                double floor = nDims * (0.05 + 0.2 * m + 0.02 * e);
                var mean = Enumerable.Range(0, positions).Select(k => floor + (nDims - floor) * Math.Exp(-k / (1.5 + m))).ToArray();
                Metrics.Set(evaluation, models[m], new PositionStats(mean,
                    mean.Select(v => 0.3 * v).ToArray(), mean.Select(v => 0.9 * v).ToArray(), mean.Select(v => 1.1 * v).ToArray()));
            }
        Metrics.Save(MetricsPath);
        if (trainLog) WriteTrainLog(TrainLogPath, steps: 50, nDims);
    }

    /// <summary>Adds the <c>zero</c> learner's errors (a constant) to <paramref name="evaluation"/> alone, as
    /// <c>icl eval --strategies EVALUATION --relative-to-zero</c> leaves a run evaluated before.</summary>
    public void AddZeroTo(string evaluation)
    {
        var positions = Metrics.Evaluations[evaluation].Values.First().Mean.Length;
        var level = Enumerable.Repeat(5.0, positions).ToArray();
        Metrics.Set(evaluation, ZeroPredictor.Id, new PositionStats(level, level.Select(v => 0.3 * v).ToArray(), level, level));
        Metrics.Save(MetricsPath);
    }

    public static void WriteTrainLog(string path, int steps, int nDims)
    {
        var lines = new List<string> { "step,loss,excess_loss,n_points,n_dims,seconds" };
        for (int s = 0; s < steps; s++)
        {
            int dims = Math.Min(2 + s / 10, nDims), points = Math.Min(5 + s / 10 * 2, 2 * nDims + 1);
            double loss = dims * Math.Exp(-s / 15.0) + 0.05;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{s * 10},{loss},{loss / dims},{points},{dims},{s * 0.5}"));
        }
        File.WriteAllLines(path, lines);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
