using System.Diagnostics;
using InContext.Config;
using InContext.Storage;
using static TorchSharp.torch;
using InContext.Native;

namespace InContext.Training;

/// <summary>
/// Median milliseconds per training step of one model size, the figure the README quotes, and how
/// much the process's resident memory grew over the timed steps (a steady run grows by about 0).
/// </summary>
public sealed record StepTiming(string Name, int NEmbd, int NLayer, int NHead, int NDims, int NPoints, int BatchSize, double MedianMs, double P90Ms, int Steps, double MemoryGrowthMb, bool CudaGraphs, int Seeds = 1);

/// <summary>
/// Times training steps (data, forward, backward, Adam) of the paper's model sizes; the
/// first steps are warm-up and not counted.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>The paper's three model sizes at the dims and prompt lengths they are trained on here.</summary>
    public static IReadOnlyDictionary<string, RunConfig> Sizes { get; } = new Dictionary<string, RunConfig>
    {
        ["tiny"] = SizedConfig(64, 3, 2, 5, 11),
        ["small"] = SizedConfig(128, 6, 4, 10, 21),
        ["standard"] = SizedConfig(256, 12, 8, 20, 41),
    };

    /// <summary>A linear regression config of the given model size, trained at a fixed <paramref name="nDims"/> and <paramref name="nPoints"/> (no curriculum growth).</summary>
    public static RunConfig SizedConfig(int nEmbd, int nLayer, int nHead, int nDims, int nPoints, int batchSize = 64) =>
        RunConfig.Parse($$"""
            model: {family: gpt2, n_dims: {{nDims}}, n_positions: {{nPoints}}, n_embd: {{nEmbd}}, n_layer: {{nLayer}}, n_head: {{nHead}}}
            training:
              task: linear_regression
              batch_size: {{batchSize}}
              learning_rate: 0.0001
              train_steps: 1000000
              curriculum:
                dims: {start: {{nDims}}, end: {{nDims}}, inc: 1, interval: 2000}
                points: {start: {{nPoints}}, end: {{nPoints}}, inc: 1, interval: 2000}
            out_dir: unused
            """, "benchmark");

    /// <summary>
    /// Times <paramref name="steps"/> training steps (at least 1) of <paramref name="config"/> after
    /// <paramref name="warmup"/> uncounted ones; nothing is written. With <paramref name="seeds"/> above 1,
    /// a step trains that many seeds (0, 1, ...) of the config as one pack.
    /// </summary>
    /// <exception cref="ParameterException"><paramref name="steps"/> or <paramref name="seeds"/> is below 1.</exception>
    public static StepTiming Measure(string name, RunConfig config, int steps, Device? device = null, int warmup = 10, bool? cudaGraphs = null, int seeds = 1)
    {
        // A median of no steps is no figure; refused before the model is built or warmed up.
        if (steps < 1) throw new ParameterException("steps", $"{steps}: must be at least 1");
        if (seeds < 1) throw new ParameterException("seeds", $"{seeds}: must be at least 1");
        var runs = SeedPacks.Members(config, Enumerable.Range(0, seeds).Select(s => (long)s).ToList()).Select(c => (c, (RunFolder?)null)).ToList();
        using var trainer = new Trainer(runs, device, cudaGraphs);
        for (var i = 0; i < warmup; i++) trainer.Step();
        var times = new List<double>();
        var residentBefore = Environment.WorkingSet;
        for (var i = 0; i < steps; i++)
        {
            var sw = Stopwatch.StartNew();
            trainer.Step();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var m = config.Model;
        return new StepTiming(name, m.NEmbd, m.NLayer, m.NHead, m.NDims, m.NPositions, config.Training.BatchSize,
            times[times.Count / 2], times[(int)(times.Count * 0.9)], steps, (Environment.WorkingSet - residentBefore) / 1e6, trainer.UsesCudaGraphs, seeds);
    }
}
