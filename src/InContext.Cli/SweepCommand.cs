using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using InContext.Sweeps;

namespace InContext.Cli;

/// <summary>
/// <c>icl sweep SWEEP.yaml [--local | --slurm]</c> and <c>icl sweep status SWEEP_DIR</c>: the
/// library expands, validates, runs and reads the sweep; this parses options and prints.
/// </summary>
static class SweepCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("sweep-file") { Description = "The sweep: a base config (inherit: and keys, as a config) and grid: key paths to lists of values." };
        var outDir = new Option<string?>("--out") { Description = "Folder that holds the sweep's folder (overrides the sweep file's out_dir; default ./runs)." };
        var local = new Option<bool>("--local") { Description = "Train and evaluate the runs on this machine, resuming any that stopped." };
        var jobs = new Option<int?>("--jobs") { Description = "With --local: runs at a time (default 1); the cores are split between them." };
        var slurm = new Option<bool>("--slurm") { Description = "Write one sbatch --array script (a task per run not yet evaluated) and submit it." };
        var partition = new Option<string?>("--partition") { Description = "With --slurm: the partition (default: the sweep file's slurm.partition, else the cluster's default)." };
        var time = new Option<string?>("--time") { Description = "With --slurm: each task's time limit (minutes, HH:MM:SS or D-HH:MM:SS); a run stopped by it resumes in a requeued task." };
        var gpus = new Option<int?>("--gpus-per-task") { Description = "With --slurm: GPUs per task (use with --device cuda)." };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "With --slurm: CPUs per task; icl uses that many threads." };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "With --slurm: at most this many tasks at once (the array's %N; default: all)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "With --slurm: print the script; write and submit nothing." };
        var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N for every run (default: cpu; with --slurm, the sweep file's slurm.device)." };
        var cmd = new Command("sweep", "Many runs from one file: expand a grid into run folders, then train and evaluate them here (--local) or on a Slurm cluster (--slurm). Without either, prepares the folders and lists the runs.")
            { file, outDir, local, jobs, slurm, partition, time, gpus, cpus, maxParallel, dryRun, device };
        cmd.SetAction(p =>
        {
            var isLocal = p.GetValue(local);
            var isSlurm = p.GetValue(slurm);
            if (isLocal && isSlurm) throw new ParameterException("local", "and --slurm: choose one");
            if (!isLocal && p.GetValue(jobs) is not null) throw new ParameterException("jobs", "applies to --local");
            foreach (var (option, given) in new (string, bool)[]
                     {
                         ("partition", p.GetValue(partition) is not null), ("time", p.GetValue(time) is not null), ("gpus_per_task", p.GetValue(gpus) is not null),
                         ("cpus_per_task", p.GetValue(cpus) is not null), ("max_parallel", p.GetValue(maxParallel) is not null), ("dry_run", p.GetValue(dryRun)),
                     })
                if (given && !isSlurm) throw new ParameterException(option, "applies to --slurm");
            var sweep = Sweep.Load(p.GetValue(file)!, p.GetValue(outDir));

            if (isSlurm)
            {
                var options = new SlurmOptions(
                    p.GetValue(partition) ?? sweep.Slurm.Partition, p.GetValue(time) ?? sweep.Slurm.Time,
                    p.GetValue(gpus) ?? sweep.Slurm.GpusPerTask, p.GetValue(cpus) ?? sweep.Slurm.CpusPerTask,
                    p.GetValue(maxParallel) ?? sweep.Slurm.MaxParallel, p.GetValue(device) ?? sweep.Slurm.Device ?? "cpu", sweep.Slurm.Setup).Validate();
                return Slurm(sweep, options, p.GetValue(dryRun));
            }
            if (isLocal)
            {
                var deviceName = p.GetValue(device) ?? "cpu";
                Devices.Parse(deviceName);   // a device this build cannot use is refused before any run starts
                return Local(sweep, p.GetValue(jobs) ?? 1, deviceName);
            }
            var folder = SweepFolder.Prepare(sweep);
            Console.WriteLine($"Sweep {sweep.Name}: {sweep.Runs.Count} run{(sweep.Runs.Count == 1 ? "" : "s")} in {folder.Path}");
            foreach (var run in sweep.Runs) Console.WriteLine($"  {run.Id}");
            // The command to copy names the same sweep folder (--out) and device this one was given.
            var again = $"icl sweep {Shell.Word(p.GetValue(file)!)}"
                        + (p.GetValue(outDir) is { } o ? $" --out {Shell.Word(o)}" : "")
                        + (p.GetValue(device) is { } d ? $" --device {Shell.Word(d)}" : "");
            Console.WriteLine($"Train them here with `{again} --local`, or on Slurm with --slurm; `icl train RUN_DIR` trains one.");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(Status());
        return cmd;
    }

    static Command Status()
    {
        var dir = new Argument<string>("sweep-dir") { Description = "A sweep's folder (it holds runs.txt)." };
        var cmd = new Command("status", "One line per run of a sweep: steps done of total, last loss, evaluated or not, or its error.") { dir };
        cmd.SetAction(p =>
        {
            var folder = SweepFolder.Open(p.GetValue(dir)!);
            var runs = folder.Status();
            var width = Math.Max(3, runs.Max(r => r.Id.Length));
            var stepsWidth = runs.Max(r => $"{r.StepsDone}/{r.TotalSteps}".Length);
            Console.WriteLine($"{"run".PadRight(width)}  {"steps".PadLeft(stepsWidth)}  {"loss",9}  state");
            foreach (var r in runs)
            {
                var state = r.Evaluated ? "evaluated"
                    : r.Holder is { } h ? $"running: {h}"
                    : r.Failed ? $"failed: {r.Error}"
                    : r.Trained ? "trained, not evaluated"
                    : r.Started ? "stopped (resumes when run again)" : "not started";
                var loss = r.LastLoss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine($"{r.Id.PadRight(width)}  {$"{r.StepsDone}/{r.TotalSteps}".PadLeft(stepsWidth)}  {loss,9}  {state}");
            }
            var evaluated = runs.Count(r => r.Evaluated);
            var failed = runs.Count(r => r.Failed && r.Holder is null);
            Console.WriteLine($"{runs.Count} runs: {evaluated} evaluated, {failed} failed, {runs.Count - evaluated - failed} to do");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The icl program running now, so the runs use this very build.</summary>
    public static IclProgram ThisProgram() =>
        IclProgram.Of(Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown"), typeof(SweepCommand).Assembly.Location);

    static int Local(Sweep sweep, int jobs, string device)
    {
        if (jobs < 1) throw new ParameterException("jobs", $"{jobs}: must be at least 1");
        var folder = SweepFolder.Prepare(sweep);
        Console.WriteLine($"Sweep {sweep.Name}: {sweep.Runs.Count} run{(sweep.Runs.Count == 1 ? "" : "s")} in {folder.Path}");
        using var cancel = new CancellationTokenSource();
        var terminated = false;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; terminated = true; cancel.Cancel(); });
        LocalSweepResult result;
        try
        {
            result = LocalSweep.Run(folder, ThisProgram(), new LocalSweepOptions(jobs, Environment.ProcessorCount, device),
                line => Console.WriteLine(line), cancel.Token);
        }
        finally { Console.CancelKeyPress -= onCancel; }
        Console.WriteLine($"{result.Evaluated + result.AlreadyEvaluated} of {sweep.Runs.Count} runs evaluated"
                          + (result.Failed > 0 ? $", {result.Failed} failed" : "")
                          + (result.Stopped + result.NotRun > 0 ? $", {result.Stopped + result.NotRun} to resume (run the same command)" : "")
                          + (result.Busy > 0 ? $", {result.Busy} in use by another process" : "")
                          + $"; `icl sweep status {Shell.Word(folder.Path)}` shows each, `icl report {Shell.Word(folder.Path)}` compares them");
        if (cancel.IsCancellationRequested) return terminated ? ExitCodes.Terminated : ExitCodes.Interrupted;
        return result.Failed + result.Busy + result.Stopped + result.NotRun > 0 ? ExitCodes.SweepIncomplete : ExitCodes.Ok;
    }

    static int Slurm(Sweep sweep, SlurmOptions options, bool dryRun)
    {
        var packs = SlurmSweep.PacksToSubmit(sweep);
        var runs = packs.Sum(p => p.Count);
        if (runs == 0)
        {
            if (!dryRun) SweepFolder.Prepare(sweep);
            Console.WriteLine($"Sweep {sweep.Name}: all {sweep.Runs.Count} runs are evaluated; nothing to submit ({sweep.Folder})");
            return ExitCodes.Ok;
        }
        var script = SlurmSweep.Script(sweep.Name, sweep.Folder, packs, ThisProgram(), options);
        if (dryRun)
        {
            SweepFolder.Check(sweep);
            Console.Write(script);
            return ExitCodes.Ok;
        }
        var folder = SweepFolder.Prepare(sweep);
        var path = SlurmSweep.WriteScript(folder.Path, script);
        var job = SlurmSweep.Submit(path);
        Console.WriteLine($"Submitted batch job {job}: {runs} of {sweep.Runs.Count} runs of sweep {sweep.Name}"
                          + (packs.Count < runs ? $" in {packs.Count} array tasks (the seeds of a config train as one pack)" : "")
                          + (runs < sweep.Runs.Count ? $" ({sweep.Runs.Count - runs} already evaluated)" : ""));
        Console.WriteLine($"Script: {path}");
        Console.WriteLine($"Logs:   {Path.Combine(folder.SlurmPath, $"{job}_<task>.out")}");
        Console.WriteLine($"Status: icl sweep status {Shell.Word(folder.Path)}");
        return ExitCodes.Ok;
    }
}
