namespace InContext.Tests.Reliability;

/// <summary>Small training configs for the tests that run icl as a process.</summary>
static class TrainingConfigs
{
    /// <summary>A tiny linear-regression run; <paramref name="extra"/> lines are added to its training section.</summary>
    public static string Tiny(int steps, int saveEvery, int keepEvery = -1, double learningRate = 0.001, string extra = "", int batch = 8) => $$"""
        model: {family: gpt2, n_dims: 3, n_positions: 6, n_embd: 16, n_layer: 1, n_head: 2}
        training:
          task: linear_regression
          batch_size: {{batch}}
          learning_rate: {{learningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
          train_steps: {{steps}}
          save_every_steps: {{saveEvery}}
          keep_every_steps: {{keepEvery}}
          seed: 3
          curriculum:
            dims: {start: 2, end: 3, inc: 1, interval: 7}
            points: {start: 4, end: 6, inc: 1, interval: 7}
        {{extra}}
        out_dir: runs
        wandb: {log_every_steps: 1}
        """;

    public static string Write(string dir, string text, string name = "run.yaml")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
