using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Reliability;

/// <summary>Signals and waits for icl processes the tests start.</summary>
static partial class Processes
{
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Signal(Process p, int signal) => Assert.Equal(0, Kill(p.Id, signal));

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetHandler(int signal, nint handler);

    const nint SIG_DFL = 0, SIG_IGN = 1;

    /// <summary>
    /// A shell starts a background job (`.ci/run &amp;`, nohup) with SIGINT ignored, every process
    /// it starts inherits that, and icl then rightly ignores Ctrl+C, as any program does under
    /// nohup. A test of Ctrl+C needs it delivered as from a terminal: the processes this one
    /// starts from now on get SIGINT's default disposition back (this process's own handler, if
    /// it has one, is kept).
    /// </summary>
    public static void LetChildrenBeInterrupted()
    {
        var previous = SetHandler(SIGINT, SIG_DFL);
        if (previous != SIG_IGN) SetHandler(SIGINT, previous);
    }

    /// <summary>Waits until <paramref name="ready"/> holds (polling), failing after <paramref name="seconds"/>.</summary>
    public static void WaitUntil(Func<bool> ready, string what, double seconds = 120)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            Assert.True(clock.Elapsed.TotalSeconds < seconds, $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits for the process to end and returns its exit code and output.</summary>
    public static (int code, string stdout, string stderr) Finish(Process p, int seconds = 300)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(seconds * 1000), "icl did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The training log's rows as written, without the wall-clock column (which differs between runs).</summary>
    public static string[] LogWithoutSeconds(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, RunFolder.TrainLogFileName)).Select(l => l[..l.LastIndexOf(',')]).ToArray();
}
