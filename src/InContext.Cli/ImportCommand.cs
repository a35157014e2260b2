using System.CommandLine;
using InContext.Interop;

namespace InContext.Cli;

static class ImportCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("reference-run") { Description = "A run folder of the paper's PyTorch code: config.yaml and state.pt (or model_<step>.pt)." };
        var step = new Option<int?>("--step") { Description = "Import the kept model_<STEP>.pt instead of state.pt. It has no Adam state: training continues at STEP+1 with fresh moments." };
        var outDir = new Option<string>("--out") { Description = "The run folder to write (new, or empty).", Required = true };
        var cmd = new Command("import", "Import a run of the paper's PyTorch code as one of our run folders, to evaluate or to train on.") { reference, step, outDir };
        cmd.SetAction(p => Run(p.GetValue(reference)!, p.GetValue(step), p.GetValue(outDir)!));
        return cmd;
    }

    static int Run(string reference, int? step, string outDir)
    {
        var r = ReferenceRunImport.Import(reference, step, outDir);
        var m = r.Config.Model;
        Console.WriteLine($"Imported {r.Source} ({r.Config.Training.Task}, model {m.NEmbd}/{m.NLayer}/{m.NHead}, d={m.NDims}, train_step {r.TrainStep}) -> {r.Run.Path}");
        if (r.AdamImported)
            Console.WriteLine($"  Adam state imported: `icl train {r.Run.Path}` continues at step {r.NextStep} of {r.Config.Training.TrainSteps} (--steps to go further).");
        else
            Console.WriteLine($"  No Adam state in a kept model: `icl train {r.Run.Path}` would continue at step {r.NextStep} with fresh Adam moments.");
        if (r.NonFinite.Count > 0)
            Console.Error.WriteLine($"warning: {r.NonFinite.Count} weight tensors hold NaN or infinity (first: {r.NonFinite[0]}): the paper's run diverged; evaluating this run will be refused");
        return ExitCodes.Ok;
    }
}
