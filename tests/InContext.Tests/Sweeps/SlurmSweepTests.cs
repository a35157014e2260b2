using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using InContext.Sweeps;
using InContext.Training;
using Xunit;
using Xunit.Abstractions;
using static InContext.Tests.Reliability.Processes;
using InContext.Storage;

namespace InContext.Tests.Sweeps;

/// <summary>
/// <c>icl sweep --slurm</c> against a real Slurm: a one-node cluster (controller and node daemon
/// on this machine, tests/slurm/cluster.sh) started and stopped by the test. It needs root and
/// Debian's slurmctld, slurmd, slurm-client and munge, which .ci/run installs.
/// </summary>
public partial class SlurmSweepTests(ITestOutputHelper output)
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    static readonly string ClusterScript = Path.Combine(TestPaths.RepoRoot, "tests", "slurm", "cluster.sh");

    /// <summary>The line the README promises a missing package's failure names (.ci/run installs them so).</summary>
    const string InstallCommand = "apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge";

    /// <summary>The programs of those packages that are not installed (cluster.sh would say "run: cluster.sh install").</summary>
    static List<string> MissingPrograms() =>
        new[] { "slurmctld", "slurmd", "sbatch", "munged" }
            .Where(p => !(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, p))))
            .ToList();

    [Fact]
    public void Every_array_task_trains_and_evaluates_its_run_and_preempted_tasks_resume_to_the_same_weights()
    {
        Assert.True(OperatingSystem.IsLinux() && GetEuid() == 0,
            "this test runs a one-node Slurm cluster (tests/slurm/cluster.sh start), which needs root and Debian's slurmctld, slurmd, slurm-client and munge "
            + $"(.ci/run installs them: {InstallCommand}); run the tests as root");
        var missing = MissingPrograms();
        Assert.True(missing.Count == 0, $"this test runs a one-node Slurm cluster, and {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not installed: run `{InstallCommand}`");
        var clock = Stopwatch.StartNew();
        // A cluster of its own: its own state folder and ports, so a cluster already running here is left alone.
        var state = Path.Combine(Path.GetTempPath(), "icl-slurm-test-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = FreePorts(2);
        var environment = new Dictionary<string, string>
        {
            ["ICL_SLURM_DIR"] = state, ["ICL_SLURM_CPUS"] = "3", ["ICL_SLURM_LINK_ETC"] = "0",
            ["ICL_SLURM_CTLD_PORT"] = ports[0].ToString(), ["ICL_SLURM_D_PORT"] = ports[1].ToString(),
            ["SLURM_CONF"] = Path.Combine(state, "slurm.conf"),
        };
        var (started, startOutput) = Shell(environment, ClusterScript, "start");
        try
        {
            Assert.True(started == 0, $"could not start the one-node Slurm cluster (tests/slurm/cluster.sh start, exit {started}); it needs Debian's slurmctld, slurmd, slurm-client and munge: {startOutput}");
            output.WriteLine($"cluster up after {clock.Elapsed.TotalSeconds:F1} s");

            // Three runs of one config that differ in a note only, so each is the others' uninterrupted
            // reference: one runs through; one is requeued by Slurm mid-training (what preemption
            // does: every process of the task gets SIGTERM, then Slurm runs it again); one gets a
            // SIGTERM sent to the batch script alone, which Slurm does not follow with a requeue:
            // what --signal=B:TERM@60 does before the time limit (here by scancel --signal=TERM
            // --batch), so the script must pass it on to icl and then requeue its own task.
            const int steps = 1500;
            var dir = TestPaths.TempDir();
            SweepFiles.Write(dir, "inherit: base.yaml\nname: s\nout_dir: out\ngrid:\n  wandb.notes: [reference, requeued, signalled]\n",
                SweepFiles.Base(steps: steps, saveEvery: 500));
            var (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--slurm", "--cpus-per-task", "1"], environment);
            Assert.True(code == 0, $"exit {code}: {stdout}\n{stderr}");
            var job = Regex.Match(stdout, @"Submitted batch job (\d+): 3 of 3 runs").Groups[1].Value;
            Assert.True(job.Length > 0, stdout);
            var folder = Path.Combine(dir, "out", "s");
            string Run(string note) => Path.Combine(folder, $"notes={note}");
            int Logged(string note) => File.Exists(Path.Combine(Run(note), RunFolder.TrainLogFileName))
                ? File.ReadAllLines(Path.Combine(Run(note), RunFolder.TrainLogFileName)).Length - 1 : 0;

            // Stop two tasks once they are well into training (and far from its end).
            WaitUntil(() => Logged("requeued") >= 50 && Logged("signalled") >= 50, "both tasks to train 50 steps", 90);
            Assert.True(Logged("requeued") < steps / 2 && Logged("signalled") < steps / 2, "training ended too soon to be stopped in its middle");
            output.WriteLine($"stopping two tasks after {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(0, Shell(environment, "scontrol", "requeue", $"{job}_1").code);
            Assert.Equal(0, Shell(environment, "scancel", "--signal=TERM", "--batch", $"{job}_2").code);

            WaitUntil(() => Shell(environment, "squeue", "-h", "-j", job).output.Trim().Length == 0, "every task of the array to end", 150);
            output.WriteLine($"array done after {clock.Elapsed.TotalSeconds:F1} s");
            var tasks = Shell(environment, "scontrol", "-o", "show", "job", job).output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => Regex.Match(l, @"ArrayTaskId=(\d+) .*JobState=(\w+) .*Restarts=(\d+)")).Select(m => $"{m.Groups[1]} {m.Groups[2]} {m.Groups[3]}").Order();
            Assert.Equal(["0 COMPLETED 0", "1 COMPLETED 1", "2 COMPLETED 1"], tasks);

            // Every run finished and was evaluated...
            (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "status", folder]);
            Assert.True(code == 0, stderr);
            Assert.Contains("3 runs: 3 evaluated, 0 failed, 0 to do", stdout);
            foreach (var note in new[] { "reference", "requeued", "signalled" })
                Assert.Matches($@"\nnotes={note} +{steps}/{steps}  +\d+\.\d{{4}}  evaluated\n", stdout);
            // ... the stopped ones saved their step, and their tasks resumed there ...
            string SlurmLog(int task) => File.ReadAllText(Path.Combine(folder, "slurm", $"{job}_{task}.out"));
            foreach (var task in new[] { 1, 2 })
            {
                var log = SlurmLog(task);
                var stoppedAt = Regex.Match(log, @"Stopped by SIGTERM at step (\d+); state.pt saved").Groups[1].Value;
                Assert.True(stoppedAt.Length > 0, $"task {task} was not stopped in training: {log}");
                Assert.Contains($"(restart 1)", log);
                Assert.Contains($"  at step {stoppedAt} of {steps}", log);
            }
            Assert.Contains("icl sweep: stopped by SIGTERM; requeueing task", SlurmLog(2));
            Assert.DoesNotContain("requeueing task", SlurmLog(1));   // Slurm requeued it itself
            // ... to the very weights and losses of the run never stopped.
            var reference = Weights(Path.Combine(Run("reference"), RunFolder.StateFileName));
            Assert.Equal(reference, Weights(Path.Combine(Run("requeued"), RunFolder.StateFileName)));
            Assert.Equal(reference, Weights(Path.Combine(Run("signalled"), RunFolder.StateFileName)));
            Assert.Equal(LogWithoutSeconds(Run("reference")), LogWithoutSeconds(Run("requeued")));
            Assert.Equal(LogWithoutSeconds(Run("reference")), LogWithoutSeconds(Run("signalled")));
            Assert.Equal(steps, TrainingLog.Read(Path.Combine(Run("signalled"), RunFolder.TrainLogFileName)).Count);

            // Submitting again finds nothing to do.
            (code, stdout, stderr) = Cli.RunIn(dir, ["sweep", "sweep.yaml", "--slurm"], environment);
            Assert.True(code == 0, stderr);
            Assert.Contains("all 3 runs are evaluated; nothing to submit", stdout);
        }
        finally
        {
            var (stopped, stopOutput) = Shell(environment, ClusterScript, "stop");
            output.WriteLine($"cluster stopped (exit {stopped}) after {clock.Elapsed.TotalSeconds:F1} s: {stopOutput.Trim()}");
        }
        Assert.False(Directory.Exists(state));
    }

    /// <summary>Ports nothing listens on now, all different (each held until all are chosen).</summary>
    static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var l in listeners) l.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally { foreach (var l in listeners) l.Stop(); }
    }

    /// <summary>Runs a command with extra environment variables; returns its exit code and its output and errors together.</summary>
    static (int code, string output) Shell(IReadOnlyDictionary<string, string> environment, string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), $"{command} {string.Join(' ', args)} did not finish in 2 minutes");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Every tensor of a checkpoint's model by name and the hash of its bytes, and the step.</summary>
    static string Weights(string path)
    {
        using var contents = PyTorchCheckpoint.Read(path);
        return $"step {contents.TrainStep}\n" + string.Join("\n", contents.Model.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(kv.Value.contiguous().bytes))));
    }
}
