using System.CommandLine;
using InContext.Evaluation;
using InContext.Training;

using Spectre.Console;
using InContext.Native;

namespace InContext.Cli;

static class BenchCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Timed steps per model size.", DefaultValueFactory = _ => 100 };
        var device = Devices.Option();
        var sizes = new Option<string[]>("--sizes") { Description = $"Model sizes: {string.Join(", ", TrainingBenchmark.Sizes.Keys)} (default: tiny and small on the CPU, all three on a GPU).", AllowMultipleArgumentsPerToken = true };
        var graphs = Devices.CudaGraphsOption();
        var tf32 = Devices.Tf32Option();
        var seeds = new Option<int>("--seeds") { Description = "Also time N seeds trained as one pack, beside one seed: the ratio is what the pack costs against one run (N separate runs cost N).", DefaultValueFactory = _ => 1 };
        var train = new Command("train", "Median ms per training step (data, forward, backward, Adam) of the paper's model sizes, batch 64: tiny (64/3/2, d=5, 11 points), small (128/6/4, d=10, 21 points), standard (256/12/8, d=20, 41 points).") { steps, device, sizes, graphs, tf32, seeds };
        train.SetAction(p =>
        {
            if (p.GetValue(tf32)) NativeRuntime.AllowTf32(true);
            var dev = Devices.Parse(p.GetValue(device));
            var n = p.GetValue(steps);
            var chosen = Lists.Split(p.GetValue(sizes)) ?? (dev.type == TorchSharp.DeviceType.CUDA ? ["tiny", "small", "standard"] : ["tiny", "small"]);
            foreach (var s in chosen)
                if (!TrainingBenchmark.Sizes.ContainsKey(s)) throw new ParameterException("sizes", $"{s}: unknown (valid: {string.Join(", ", TrainingBenchmark.Sizes.Keys)})");
            var packed = p.GetValue(seeds);
            if (packed < 1) throw new ParameterException("seeds", $"{packed}: must be at least 1");
            var table = new Table().AddColumns("model", "embd/layers/heads", "d", "points", "batch", "seeds", "median ms/step", "p90 ms/step", "× one seed", "memory growth MB", "CUDA graphs");
            foreach (var name in chosen)
            {
                StepTiming? one = null;
                foreach (var count in packed == 1 ? [1] : new[] { 1, packed })
                {
                    var t = TrainingBenchmark.Measure(name, TrainingBenchmark.Sizes[name], n, dev, cudaGraphs: Devices.CudaGraphs(p.GetValue(graphs)), seeds: count);
                    one ??= t;
                    table.AddRow(t.Name, $"{t.NEmbd}/{t.NLayer}/{t.NHead}", $"{t.NDims}", $"{t.NPoints}", $"{t.BatchSize}", count == 1 ? "1" : $"{count} packed",
                        $"{t.MedianMs:F2}", $"{t.P90Ms:F2}", $"{t.MedianMs / one.MedianMs:F2}", $"{t.MemoryGrowthMb:F0}", t.CudaGraphs ? "yes" : "no");
                }
            }
            AnsiConsole.Write(table);
            return 0;
        });
        var prompts = new Option<int>("--examples") { Description = "Prompts per evaluation.", DefaultValueFactory = _ => 1280 };
        var workloads = new Option<string[]>("--workloads") { Description = $"{string.Join(", ", EvaluationBenchmark.Workloads)} (default: all).", AllowMultipleArgumentsPerToken = true };
        var eval = new Command("eval", "Seconds per model for the paper's evaluation workloads: decision trees (d=20, 101 points, six baselines), sparse regression (five Lassos), linear regression (15 evaluations, tiny model + three baselines).") { prompts, workloads };
        eval.SetAction(p =>
        {
            // Refused here, before the live table draws anything.
            var timings = EvaluationBenchmark.Run(new EvaluationSettings(p.GetValue(prompts)), Lists.Split(p.GetValue(workloads)));
            var table = new Table().AddColumns("workload", "model", "seconds");
            var totals = new Dictionary<string, double>();
            AnsiConsole.Live(table).Start(ctx =>
            {
                foreach (var t in timings)
                {
                    table.AddRow(t.Workload, t.Model, $"{t.Seconds:F1}");
                    totals[t.Workload] = totals.GetValueOrDefault(t.Workload) + t.Seconds;
                    ctx.Refresh();
                }
                foreach (var (w, s) in totals) table.AddRow($"[bold]{Markup.Escape(w)}[/]", "[bold]total[/]", $"[bold]{s:F1}[/]");
            });
            return 0;
        });
        return new Command("bench", "Benchmarks behind the speed figures of docs/performance.md.") { train, eval };
    }
}
