using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using InContext.Native;
using InContext.Storage;
using InContext.Training;

namespace InContext.Sweeps;

/// <summary>
/// What a Slurm sweep asks for: each array task's partition, time limit, GPUs and CPUs, the
/// tasks at once (<c>%N</c>), the device icl trains on, and shell lines run before it (e.g.
/// <c>module load ...</c>). Parameters are named as in the sweep file's <c>slurm:</c> section.
/// </summary>
public sealed partial record SlurmOptions(
    string? Partition = null, string? Time = null, int? GpusPerTask = null, int? CpusPerTask = null,
    int? MaxParallel = null, string Device = "cpu", IReadOnlyList<string>? Setup = null)
{
    [GeneratedRegex(@"^[A-Za-z0-9_.,-]+$")]
    private static partial Regex PartitionName();

    [GeneratedRegex(@"^(\d+|\d+:\d+|\d+:\d+:\d+|\d+-\d+|\d+-\d+:\d+|\d+-\d+:\d+:\d+|infinite|unlimited)$", RegexOptions.IgnoreCase)]
    private static partial Regex TimeLimit();

    [GeneratedRegex(@"^(cpu|cuda(:\d+)?)$")]
    private static partial Regex DeviceName();

    /// <summary>Refuses values sbatch would refuse or a task could not use, naming the parameter.</summary>
    public SlurmOptions Validate()
    {
        if (Partition is { } p && !PartitionName().IsMatch(p)) throw new ParameterException("partition", $"'{Printable.Escape(p)}': expected a partition name (letters, digits, . _ - and commas)");
        if (Time is { } t && !TimeLimit().IsMatch(t)) throw new ParameterException("time", $"'{Printable.Escape(t)}': expected a Slurm time limit: minutes, HH:MM:SS, D-HH or D-HH:MM:SS");
        if (GpusPerTask is < 1) throw new ParameterException("gpus_per_task", $"{GpusPerTask}: must be at least 1 (leave it out for none)");
        if (CpusPerTask is < 1) throw new ParameterException("cpus_per_task", $"{CpusPerTask}: must be at least 1");
        if (MaxParallel is < 1) throw new ParameterException("max_parallel", $"{MaxParallel}: must be at least 1");
        if (!DeviceName().IsMatch(Device)) throw new ParameterException("device", $"'{Printable.Escape(Device)}': expected cpu, cuda or cuda:N");
        if (Device.StartsWith("cuda", StringComparison.Ordinal) && NativeRuntime.TorchBackend == "cpu")
            throw new ParameterException("device", $"{Device}: this icl is a CPU build, and the tasks run this very program; build it for the GPU (dotnet build -c Release -p:TorchBackend=cuda) and submit with that build");
        if (Device == "cpu" && GpusPerTask is not null)
            throw new ParameterException("device", "cpu: the tasks would hold GPUs they do not use; give cuda, or leave out gpus_per_task");
        if (Setup?.FirstOrDefault(l => l.Contains('\n') || l.Contains('\r')) is { } bad)
            throw new ParameterException("setup", $"'{Printable.Escape(bad)}': one shell line per entry");
        return this;
    }
}

/// <summary>
/// A sweep on a Slurm cluster: one <c>sbatch --array</c> script whose task <c>i</c> trains the
/// i-th run not yet evaluated (<c>icl train RUN_DIR</c>, resuming it if it has started) and
/// then evaluates it (<c>icl eval RUN_DIR</c>), calling the very icl that wrote the script.
/// Requeue-safe: the script is submitted with <c>--requeue</c> and <c>--signal=B:TERM@60</c>, and
/// passes a SIGTERM on to icl, which saves <c>state.pt</c> and exits 143; a task Slurm requeues
/// (preemption, <c>scontrol requeue</c>) resumes there, and a task stopped by a SIGTERM Slurm does
/// not follow with a requeue (the time limit's warning, <c>scancel --signal=TERM</c>) requeues
/// itself. A task cancelled outright (<c>scancel</c>) stays cancelled.
/// </summary>
public static class SlurmSweep
{
    /// <summary>The batch script's file name, in the sweep's <c>slurm/</c> folder.</summary>
    public const string ScriptFileName = "sweep.sbatch";

    /// <summary>
    /// The runs a submission covers, as array tasks: those not evaluated yet (all of them before the
    /// folder exists), the runs that differ only in their seed in one task (a pack, <see cref="SeedPacks"/>).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> PacksToSubmit(Sweep sweep) =>
        SeedPacks.Group(sweep.Runs.Where(r => !RunProgress.Of(new RunFolder(Path.Combine(sweep.Folder, r.Id))).Evaluated).Select(r => (r.Config, r.Id)).ToList());

    /// <summary>The batch script's path for the sweep in <paramref name="sweepFolder"/>.</summary>
    public static string ScriptPath(string sweepFolder) => Path.Combine(sweepFolder, SweepFolder.SlurmFolderName, ScriptFileName);

    /// <summary>The batch script for the sweep in <paramref name="sweepFolder"/>: array task i trains and evaluates the runs of <paramref name="packs"/>[i] (by id) as one pack.</summary>
    public static string Script(string sweepName, string sweepFolder, IReadOnlyList<IReadOnlyList<string>> packs, IclProgram icl, SlurmOptions options)
    {
        if (packs.Count == 0 || packs.Any(p => p.Count == 0)) throw new ArgumentException("a batch script needs at least one run per task", nameof(packs));
        if (packs.SelectMany(p => p).FirstOrDefault(id => id.Any(char.IsWhiteSpace)) is { } spaced) throw new ArgumentException($"run id '{spaced}' has a blank", nameof(packs));
        options.Validate();
        var folder = Path.GetFullPath(sweepFolder);
        // #SBATCH lines are split at blanks, and % starts a file name pattern there.
        if (folder.Any(c => char.IsWhiteSpace(c) || c is '%' or '"' or '\'' || char.IsControl(c)))
            throw new ParameterException("out", $"{Printable.Escape(folder, 200)}: Slurm's #SBATCH --output cannot name a folder with blanks, quotes or %; put the sweep elsewhere (--out, or the sweep file's out_dir)");
        var logs = Path.Combine(folder, SweepFolder.SlurmFolderName);
        var n = options.MaxParallel ?? packs.Count;
        var device = options.Device;
        var s = new StringBuilder();
        s.Append($"""
            #!/bin/bash
            # Sweep {sweepName}: one Slurm array task per run folder of {folder}, the runs that
            # differ only in their seed in one task, trained together as one pack.
            # Written by `icl sweep --slurm`; submitting the sweep again skips the runs already evaluated.
            # Where each run stands: icl sweep status {Shell.Quote(folder)}
            #SBATCH --job-name={Sanitise("icl-" + sweepName)}
            #SBATCH --array=0-{packs.Count - 1}%{n}
            #SBATCH --ntasks=1

            """);
        if (options.CpusPerTask is { } c) s.Append($"#SBATCH --cpus-per-task={c}\n");
        if (options.GpusPerTask is { } g) s.Append($"#SBATCH --gpus-per-task={g}\n");
        if (options.Partition is { } p) s.Append($"#SBATCH --partition={p}\n");
        if (options.Time is { } t) s.Append($"#SBATCH --time={t}\n");
        s.Append($"""
            #SBATCH --output={logs}/%A_%a.out
            #SBATCH --open-mode=append
            # Requeue-safe: a requeued task (preemption, scontrol requeue) runs again and resumes from
            # state.pt; 60 s before the time limit Slurm sends SIGTERM to this script, which passes it on.
            #SBATCH --requeue
            #SBATCH --signal=B:TERM@60
            set -u

            """);
        foreach (var line in options.Setup ?? []) s.Append(line).Append('\n');
        s.Append($"ICL=({icl.ShellWords})\n");
        // One entry per task: its runs' ids, separated by blanks (an id has none).
        s.Append("PACKS=(\n");
        foreach (var pack in packs) s.Append("  ").Append(Shell.Quote(string.Join(" ", pack))).Append('\n');
        s.Append(")\n");
        s.Append($$"""
            read -ra IDS <<< "${PACKS[$SLURM_ARRAY_TASK_ID]}"
            RUNS=()
            for id in "${IDS[@]}"; do RUNS+=({{Shell.Quote(folder)}}/"$id"); done
            TASK="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
            THREADS="${SLURM_CPUS_PER_TASK:-1}"
            export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" DOTNET_PROCESSOR_COUNT="$THREADS"
            echo "icl sweep: task $TASK (restart ${SLURM_RESTART_COUNT:-0}) on $(hostname) at $(date '+%F %T'): ${RUNS[*]}"

            # A SIGTERM for this script (bash would defer it while a command runs in the foreground)
            # is passed on at once to the icl command running in the background.
            child=""
            stopped=0
            trap 'stopped=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM

            # Runs one icl command on the task's runs; its error output is kept in each run's
            # error.txt (which `icl sweep status` reads) and copied to this log. Exit 3 of a pack's
            # training means some of its runs diverged: each of those wrote its own error.txt.
            ERR={{Shell.Quote(logs)}}/"$TASK.err"
            icl() {
              "${ICL[@]}" "$@" 2>"$ERR" &
              child=$!
              wait "$child"; code=$?
              while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
              child=""
              cat "$ERR" >&2
              case $code in
                0) for run in "${RUNS[@]}"; do rm -f "$run/error.txt"; done ;;
                3|130|143) ;;
                *) [ -s "$ERR" ] || echo "error: icl $1 exited with code $code (Slurm task $TASK)" >"$ERR"
                   for run in "${RUNS[@]}"; do cp "$ERR" "$run/error.txt"; done ;;
              esac
              rm -f "$ERR"
              return $code
            }

            icl train "${RUNS[@]}" --no-eval --device {{device}} --threads "$THREADS"
            code=$?
            if [ $code -eq 3 ] && [ $stopped -eq 0 ]; then
              # the runs of the pack that did not diverge are trained: evaluate those
              kept=()
              for run in "${RUNS[@]}"; do [ -s "$run/error.txt" ] || kept+=("$run"); done
              RUNS=("${kept[@]}")
              if [ ${#RUNS[@]} -gt 0 ]; then
                icl eval "${RUNS[@]}" --device {{device}} --threads "$THREADS" || true
              fi
            elif [ $code -eq 0 ] && [ $stopped -eq 0 ]; then
              icl eval "${RUNS[@]}" --device {{device}} --threads "$THREADS"
              code=$?
            fi
            if [ $stopped -eq 1 ] || [ $code -eq 143 ]; then
              # A SIGTERM that Slurm follows with no requeue of its own (the warning before the time
              # limit, scancel --signal=TERM) leaves the task RUNNING: requeue it, so the run goes on
              # from its saved state. A cancelled or requeued task is COMPLETING: nothing to do.
              if scontrol -o show job "$TASK" 2>/dev/null | grep -q 'JobState=RUNNING'; then
                echo "icl sweep: stopped by SIGTERM; requeueing task $TASK to resume from state.pt"
                scontrol requeue "$TASK"
              fi
              [ $code -eq 0 ] && code=143
            fi
            exit $code

            """);
        return s.ToString();
    }

    /// <summary>Writes the script into the sweep folder's <c>slurm/</c> (where its logs go) and returns its path.</summary>
    public static string WriteScript(string sweepFolder, string script)
    {
        var path = ScriptPath(sweepFolder);
        AtomicFile.WriteAllText(path, script);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    /// <summary>Submits the script with <c>sbatch --parsable</c> and returns the job id; a refusal is one line naming sbatch's reason.</summary>
    public static string Submit(string scriptPath, string sbatch = "sbatch")
    {
        var start = new ProcessStartInfo(sbatch)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(scriptPath))!,
        };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(scriptPath);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InputException($"{sbatch}: not found; submit from a machine with Slurm's commands on PATH (--dry-run prints the script without submitting)");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            var reason = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            if (process.ExitCode != 0)
                throw new InputException($"sbatch {scriptPath}: {Printable.Escape(reason ?? $"exit code {process.ExitCode}", 300)}");
            var id = stdout.Result.Trim().Split(';')[0];
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new InputException($"sbatch {scriptPath}: expected a job id, got '{Printable.Escape(stdout.Result.Trim())}'");
            return id;
        }
    }

    static string Sanitise(string name) => Regex.Replace(name, "[^A-Za-z0-9._-]+", "_");
}
