using System.CommandLine;
using System.Globalization;
using InContext.Config;
using InContext.Evaluation;
using InContext.Identification;
using InContext.Reports;
using InContext.Storage;
using InContext.Sweeps;

namespace InContext.Cli;

static class IdentifyCommand
{
    public static Command Create()
    {
        var runDirs = new Argument<string[]>("run-dirs")
        {
            Description = "A run folder; or several, or sweep folders (all their evaluated runs): each identified on its own distribution, with a table over them (the task-diversity summary).",
            Arity = ArgumentArity.OneOrMore,
        };
        var shifts = new ShiftOptions();
        var examples = new Option<int>("--examples") { Description = "Prompts to compare on.", DefaultValueFactory = _ => 1280 };
        var queries = new Option<int?>("--queries") { Description = "Fresh query points per context at which the model's function is fitted by a linear one (default: 4 × the active dims; at least 2 ×)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the prompts (and of the scale-x rotation): eval's and probe's prompts of that seed.", DefaultValueFactory = _ => 0 };
        var step = new Option<int?>("--step") { Description = "Identify model_<step>.pt instead of state.pt." };
        var outDir = new Option<string?>("--out") { Description = "Folder for the figures and tables (default: RUN_DIR/identify, or SWEEP_DIR/identify, or ./identify for several folders)." };
        var device = Devices.Option();
        var k = Lists.ExamplesOption();
        k.Description = "Numbers of in-context examples the table shows: 'all' (from 0), or a list such as 0,1,5 (default: every one; for a swept shift 1, d/2, d and 2d).";
        var cmd = new Command("identify", "Which learning algorithm the run's transformer runs in context (Akyürek et al. 2023): for each number of examples k, the squared prediction "
                                          + "difference (SPD) to least squares, ridge (a grid of penalties with the Bayes-optimal one), gradient descent from 0 (a grid of steps and rates), "
                                          + "3-NN, averaging and, for runs with num_tasks, dMMSE over the run's task pool; for linear tasks the implicit weights ŵ fitted to its answers, "
                                          + "their distance to each learner's (ILWD) and the R² of that linear fit. Takes the shifts of probe; one given as START:END:COUNT is swept "
                                          + "(R² against its strength: where the in-context function stops being linear).")
            { runDirs, shifts.Task, shifts.Strategy, examples, queries, seed, step, outDir, device, k };
        shifts.AddSwept(cmd);
        cmd.SetAction(p =>
        {
            var (shift, range) = shifts.Parse(p, "identify");
            var settings = new IdentifySettings(new EvaluationSettings(p.GetValue(examples), Seed: p.GetValue(seed)), p.GetValue(queries));
            var columns = Lists.Examples(p.GetValue(k));
            var dirs = p.GetValue(runDirs)!;
            var dev = Devices.Parse(p.GetValue(device));
            var several = dirs.Length > 1 || SweepFolder.IsSweepFolder(dirs[0]);
            var dir = p.GetValue(outDir) ?? (dirs.Length == 1 ? Path.Combine(dirs[0], "identify") : "identify");
            if (several)
            {
                if (range is not null) throw new ParameterException(range.Parameter, "is a range: identify sweeps a shift for one run at a time");
                Several(ReportedRuns.Of(dirs), shift, settings, dev, p.GetValue(step), dir);
                return ExitCodes.Ok;
            }
            var run = new RunFolder(dirs[0]);
            var config = run.LoadConfig();
            if (range is not null)
            {
                foreach (var v in range.Values) Identify.Check(config, range.Apply(shift, v), settings);   // refused before any work
                columns?.Within(range.FewestPoints(config, shift, settings.Prompts.Seed));
                AtomicFile.EnsureFolderWritable(dir);
                Sweep(run, range, shift, settings, dev, p.GetValue(step), columns, dir);
                return ExitCodes.Ok;
            }
            Identify.Check(config, shift, settings);
            columns?.Within(Probing.Probe.Build(config, shift, settings.Prompts.Seed).problem.NPoints);
            AtomicFile.EnsureFolderWritable(dir);
            var result = ConsoleTables.WithProgress(report => Identify.Run(run, shift, settings, dev, p.GetValue(step), report));
            ConsoleTables.Print(result.Table(run.Name, columns));
            if (result.NotLinear is { } why) Console.WriteLine(why);
            var files = IdentificationFigures.Write(result, run.Name, dir);
            Console.WriteLine($"Figures and tables: {Path.GetFullPath(dir)} ({files.Count} files)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A run identified at every value of one shift: the sweep's table and R² figure, and each value's files in a folder of its own.</summary>
    static void Sweep(RunFolder run, Probing.ShiftSweep range, Probing.ProbeOptions shift, IdentifySettings settings, TorchSharp.torch.Device device,
        int? step, ExampleColumns? columns, string dir)
    {
        var config = run.LoadConfig();
        var results = ConsoleTables.WithProgress(report => Identify.Sweep(run, range, shift, settings, device, step, (v, pr) => report(pr)));
        var fewest = results.Min(r => r.Result.Positions);
        var ks = (columns ?? ExampleColumns.Telling).For(config.Model.NDims, fewest);
        var option = Failures.Option(range.Parameter);
        var table = Identify.SweepTable(option, results, ks);
        ConsoleTables.Print(table);
        if (results[0].Result.NotLinear is { } why) Console.WriteLine(why);
        foreach (var (_, result) in results) IdentificationFigures.Write(result, $"{run.Name}, {result.Evaluation}", Path.Combine(dir, Figures.FileName(result.Evaluation)));
        if (results[0].Result.RSquared is not null)
        {
            var figure = Path.Combine(dir, $"r2_{range.Parameter}.png");
            FigureExport.Save(new ScottPlot.Multiplot(IdentificationFigures.RSquaredSweep(run.Name, option[2..], results, ks, range.IsGeometric)), figure);
        }
        AtomicFile.WriteAllText(Path.Combine(dir, $"sweep_{range.Parameter}.md"), table.Markdown(withCaption: true));
        Console.WriteLine($"Figures and tables: {Path.GetFullPath(dir)} (one folder per value, r2_{range.Parameter}.png, sweep_{range.Parameter}.md)");
    }

    /// <summary>Several runs, each on its own distribution (under a fixed shift if given): each run's files in a folder of its own, and the task-diversity table over them.</summary>
    static void Several(ReportedRuns reported, Probing.ProbeOptions shift, IdentifySettings settings, TorchSharp.torch.Device device, int? step, string dir)
    {
        foreach (var note in reported.LeftOut) Console.Error.WriteLine($"note: {note}");
        var configs = reported.Runs.Select(r => r.LoadConfig()).ToList();
        foreach (var config in configs) Identify.Check(config, shift, settings);   // every run refused before any work
        AtomicFile.EnsureFolderWritable(dir);
        var rows = new List<TaskDiversityRow>();
        for (var i = 0; i < reported.Runs.Count; i++)
        {
            var run = reported.Runs[i];
            var result = ConsoleTables.WithProgress(report => Identify.Run(run, shift, settings, device, step, pr => report(pr with { Evaluation = $"{run.Name}: {pr.Evaluation}" })));
            IdentificationFigures.Write(result, run.Name, Path.Combine(dir, run.Name));
            var row = TaskDiversity.Row(run.Name, configs[i], result);
            rows.Add(row);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run.Name}: closest overall {row.Closest}; SPD to dMMSE {IdentificationResult.F(row.SpdToDmmse)}, to {row.GaussianBayes} {IdentificationResult.F(row.SpdToGaussianBayes)}; own error {IdentificationResult.F(row.ModelError)}"));
        }
        ConsoleTables.Print(TaskDiversity.Table(rows));
        var files = TaskDiversity.Write(rows, $"task diversity: {reported.Runs.Count} runs", dir);
        Console.WriteLine($"Figures and tables: {Path.GetFullPath(dir)} (one folder per run, {string.Join(", ", files.Select(Path.GetFileName))})");
    }
}
