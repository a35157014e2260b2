using System.Globalization;
using InContext.Config;
using InContext.Training;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Tests.Probing;

/// <summary>
/// One small run folder shared by the probing tests: linear regression in d = 4, a model of
/// n_positions 9 trained on 7-point prompts for a few steps (the tests compare paths to the same
/// model, so learning does not matter; an untrained model still depends on the order of its
/// context). Made once per test process.
/// </summary>
static class ProbingRun
{
    public const int NDims = 4, NPositions = 9, TrainedPoints = 7;

    public static RunConfig Config { get; } = RunConfig.Parse($$"""
        model: {family: gpt2, n_dims: {{NDims}}, n_positions: {{NPositions}}, n_embd: 32, n_layer: 2, n_head: 2}
        training:
          task: linear_regression
          task_kwargs: {}
          batch_size: 16
          learning_rate: 0.001
          train_steps: 3
          save_every_steps: 100
          keep_every_steps: -1
          seed: 0
          curriculum:
            dims: {start: {{NDims}}, end: {{NDims}}, inc: 1, interval: 100}
            points: {start: {{TrainedPoints}}, end: {{TrainedPoints}}, inc: 1, interval: 100}
        out_dir: unused
        wandb: {log_every_steps: 1}
        """);

    static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(TestPaths.TempDir(), "run");
        using var trainer = new Trainer(Config, new RunFolder(dir));
        trainer.Train();
        return dir;
    });

    public static string Dir => Folder.Value;

    /// <summary>A copy of the run, for tests that write into it (eval writes metrics.json).</summary>
    public static string Copy()
    {
        var dir = Path.Combine(TestPaths.TempDir(), "run");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Dir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    /// <summary>Linear prompts <c>[b, n, d]</c>, <c>[b, n]</c> with the first <paramref name="dims"/> coordinates active.</summary>
    public static (Tensor xs, Tensor ys) Prompts(int b, int n, int dims = NDims, long seed = 1)
    {
        using var g = new Generator((ulong)seed);
        var xs = randn(new long[] { b, n, dims }, generator: g);
        var w = randn(new long[] { b, dims, 1 }, generator: g);
        return (xs, xs.matmul(w).squeeze(-1));
    }

    /// <summary>Writes a CSV with the given header; values as the shortest text that reads back as the same float32.</summary>
    public static string Csv(string header, Tensor rows, string? path = null)
    {
        path ??= Path.Combine(TestPaths.TempDir(), "data.csv");
        var values = rows.to(float32).contiguous().data<float>().ToArray();
        var width = (int)rows.shape[1];
        var lines = Enumerable.Range(0, (int)rows.shape[0])
            .Select(r => string.Join(",", values.Skip(r * width).Take(width).Select(v => v.ToString(CultureInfo.InvariantCulture))));
        File.WriteAllLines(path, lines.Prepend(header));
        return path;
    }

    public static string Header(int dims, bool withY) =>
        string.Join(",", Enumerable.Range(1, dims).Select(j => $"x{j}").Concat(withY ? ["y"] : Array.Empty<string>()));
}
