using System.CommandLine;
using InContext.Config;
using InContext.Evaluation;
using InContext.Probing;
using InContext.Storage;

namespace InContext.Cli;

static class LimitsCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string[]>("run-dir") { Description = "A run folder; several, or a pack's folder (its seeds), give the map of their mean, each seed's spread beside it.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "Folder for the figures and tables (default: RUN_DIR/limits; for a pack, its folder's limits/)." };
        var examples = new Option<int>("--examples") { Description = "Prompts per point of each sweep.", DefaultValueFactory = _ => 1280 };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompts.", DefaultValueFactory = _ => 0 };
        var device = Devices.Option();
        var cmd = new Command("limits", "Where the run's learned algorithm breaks: every distribution shift swept over a range, errors after d and 2d examples relative to predicting 0, "
                                        + "one figure per shift, a summary figure and a table of the strength at which the transformer's own error doubles, then of where it first errs more than twice the best classical learner.")
            { runDir, outDir, examples, seed, device };
        cmd.SetAction(p =>
        {
            if (p.GetValue(examples) < 1) throw new ParameterException("examples", $"{p.GetValue(examples)}: must be at least 1");
            var runs = Packs.Resumed(p.GetValue(runDir)!) ?? [new RunFolder(p.GetValue(runDir)![0])];
            var run = runs[0];
            var config = run.LoadConfig();
            var name = Packs.Name(runs);
            var dir = p.GetValue(outDir) ?? Path.Combine(runs.Count > 1 ? Path.GetDirectoryName(run.Path)! : run.Path, "limits");
            AtomicFile.EnsureWritable(Path.Combine(dir, "limits.txt"));
            var settings = new EvaluationSettings(p.GetValue(examples), Seed: p.GetValue(seed));
            var map = ConsoleTables.WithProgress(report => LimitationMap.Run(runs, settings, Devices.Parse(p.GetValue(device)), (shift, value, pr) => report(pr with { Evaluation = $"{shift} {value:G3}: {pr.Evaluation}" })));
            var d = LimitationMap.TrainedDims(config);
            var files = LimitationMap.Write(map, d, name, dir);
            Console.WriteLine($"Where {name} breaks{(runs.Count > 1 ? $" (the mean of its {runs.Count} seeds)" : "")}: the strength at which the transformer's own error doubles, then where it errs more than twice the best classical learner's "
                              + $"(errors relative to predicting 0 under each shift; below {ShiftPoint.Solved} counts as solved):");
            Console.Write(LimitationMap.Table(map, d));
            Console.WriteLine($"Figures and tables: {Path.GetFullPath(dir)} ({files.Count} files)");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
