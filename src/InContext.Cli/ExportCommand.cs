using System.CommandLine;
using InContext.Interop;

namespace InContext.Cli;

static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "Our run folder." };
        var outFile = new Option<string>("--out") { Description = "The PyTorch file to write (never overwritten).", Required = true };
        var forReference = new Option<bool>("--for-reference") { Description = "The paper's state-dict layout (its TransformerModel.load_state_dict(strict=True) accepts it), with a config.yaml in its schema beside the file." };
        var step = new Option<int?>("--step") { Description = "Export the kept model_<STEP>.pt instead of state.pt." };
        var cmd = new Command("export", "Write a run's model as a PyTorch file, for our code or the paper's.") { run, outFile, forReference, step };
        cmd.SetAction(p => Run(p.GetValue(run)!, p.GetValue(outFile)!, p.GetValue(forReference), p.GetValue(step)));
        return cmd;
    }

    static int Run(string run, string outFile, bool forReference, int? step)
    {
        var r = ReferenceExport.Export(run, outFile, forReference, step);
        Console.WriteLine($"Exported {(forReference ? "in the paper's layout" : "in our layout")} -> {r.ModelPath}");
        if (r.ConfigPath != null) Console.WriteLine($"  config in the paper's schema -> {r.ConfigPath}");
        foreach (var note in r.Notes) Console.WriteLine($"  note: {note}");
        return 0;
    }
}
