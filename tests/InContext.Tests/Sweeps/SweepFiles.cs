namespace InContext.Tests.Sweeps;

/// <summary>Sweep files over a tiny base config, written into a test's folder.</summary>
static class SweepFiles
{
    /// <summary>A tiny sparse-regression run (its evaluation is one prompting strategy: quick).</summary>
    public static string Base(int steps = 20, int saveEvery = 10) => $$"""
        model: {family: gpt2, n_dims: 3, n_positions: 6, n_embd: 16, n_layer: 1, n_head: 2}
        training:
          task: sparse_linear_regression
          task_kwargs: {sparsity: 2}
          batch_size: 8
          learning_rate: 0.001
          train_steps: {{steps}}
          save_every_steps: {{saveEvery}}
          keep_every_steps: -1
          seed: 3
          curriculum:
            dims: {start: 2, end: 3, inc: 1, interval: 7}
            points: {start: 4, end: 6, inc: 1, interval: 7}
        out_dir: runs
        wandb: {log_every_steps: 1}
        """;

    /// <summary>Writes base.yaml and the sweep file (inheriting it) into <paramref name="dir"/>; returns the sweep file's path.</summary>
    public static string Write(string dir, string sweep, string? baseConfig = null, string name = "sweep.yaml")
    {
        File.WriteAllText(Path.Combine(dir, "base.yaml"), baseConfig ?? Base());
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, sweep);
        return path;
    }
}
