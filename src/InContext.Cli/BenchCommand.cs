using System.CommandLine;
using InContext.Training;
using Spectre.Console;

namespace InContext.Cli;

static class BenchCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per model size.", DefaultValueFactory = _ => 100 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var train = new Command("train", "Median ms per training step: tiny (64/3/2, d=5, 11 points) and small (128/6/4, d=10, 21 points), batch 64.") { steps, device };
        train.SetAction(p =>
        {
            var dev = Devices.Parse(p.GetValue(device));
            var n = p.GetValue(steps);
            var table = new Table().AddColumns("model", "embd/layers/heads", "d", "points", "batch", "median ms/step", "p90 ms/step");
            foreach (var (name, cfg) in new[]
                     {
                         ("tiny", TrainingBenchmark.SizedConfig(64, 3, 2, 5, 11)),
                         ("small", TrainingBenchmark.SizedConfig(128, 6, 4, 10, 21)),
                     })
            {
                var t = TrainingBenchmark.Measure(name, cfg, n, dev);
                table.AddRow(t.Name, $"{t.NEmbd}/{t.NLayer}/{t.NHead}", $"{t.NDims}", $"{t.NPoints}", $"{t.BatchSize}", $"{t.MedianMs:F1}", $"{t.P90Ms:F1}");
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return new Command("bench", "Benchmarks behind the README's speed figures.") { train };
    }
}
