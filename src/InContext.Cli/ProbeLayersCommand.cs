using System.CommandLine;
using InContext.Config;
using InContext.Identification;
using InContext.Storage;

namespace InContext.Cli;

static class ProbeLayersCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "A run folder." };
        var k = new Option<int?>("--k") { Description = "In-context examples before the probed query (default: the run's longest prompts, points − 1)." };
        var train = new Option<int>("--train-prompts") { Description = "Prompts each probe is fitted on.", DefaultValueFactory = _ => 4096 };
        var test = new Option<int>("--test-prompts") { Description = "Held-out prompts each probe is scored on.", DefaultValueFactory = _ => 1024 };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompts.", DefaultValueFactory = _ => 0 };
        var step = new Option<int?>("--step") { Description = "Probe model_<step>.pt instead of state.pt." };
        var outDir = new Option<string?>("--out") { Description = "Folder for the figure and tables (default: RUN_DIR/identify)." };
        var device = Devices.Option();
        var cmd = new Command("probe-layers", "What each layer of the run's transformer encodes (Akyürek et al. 2023): linear probes (ridge) from the hidden state at the query, "
                                              + "after the embedding and after each block, to the task's w, the least-squares weights and Xᵀy of the context; R² on held-out prompts by layer.")
            { runDir, k, train, test, seed, step, outDir, device };
        cmd.SetAction(p =>
        {
            var run = new RunFolder(p.GetValue(runDir)!);
            var settings = new LayerProbeSettings(p.GetValue(train), p.GetValue(test), p.GetValue(k), p.GetValue(seed));
            LayerProbes.Check(run.LoadConfig(), settings);   // refused before any work
            var dir = p.GetValue(outDir) ?? Path.Combine(run.Path, "identify");
            AtomicFile.EnsureFolderWritable(dir);
            var result = ConsoleTables.WithProgress(report => LayerProbes.Run(run, settings, Devices.Parse(p.GetValue(device)), p.GetValue(step), report));
            ConsoleTables.Print(result.Table(run.Name));
            if (result.Skipped is { } why) Console.WriteLine(why);
            var files = result.Write(run.Name, dir);
            Console.WriteLine($"Figure and tables: {Path.GetFullPath(dir)} ({string.Join(", ", files.Select(Path.GetFileName))})");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
