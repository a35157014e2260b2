using System.Diagnostics;
using Xunit;

namespace InContext.Tests.Reliability;

/// <summary>
/// A full disk, for real: a small tmpfs mounted for the test where the test may mount one (as
/// root, as CI runs), otherwise the kernel's <c>/dev/full</c> (which answers every write with
/// ENOSPC) put where the writer's temporary file goes. Either way the write fails inside the
/// kernel with "no space left on device", and every writer must say so in one line, exit 2,
/// leave no temporary file and keep the last good file intact.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    readonly string _root = TestPaths.TempDir();
    readonly string? _mount;

    public DiskFullTests()
    {
        var mount = Path.Combine(_root, "small");
        Directory.CreateDirectory(mount);
        if (Run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount) == 0) _mount = mount;
    }

    static int Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(start)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }

    public void Dispose()
    {
        if (_mount != null) Run("umount", _mount);
    }

    /// <summary>Fills the small disk but for <paramref name="leave"/> bytes; without a mount, points <paramref name="tmpFiles"/> at /dev/full.</summary>
    void Fill(long leave, params string[] tmpFiles)
    {
        if (_mount is null)
        {
            foreach (var tmp in tmpFiles) File.CreateSymbolicLink(tmp, "/dev/full");
            return;
        }
        var filler = Path.Combine(_mount, "filler");
        using var f = new FileStream(filler, FileMode.Append);
        var free = new DriveInfo(_mount).AvailableFreeSpace;
        f.Write(new byte[Math.Max(0, free - leave)]);
    }

    string Place => _mount ?? Path.Combine(_root, "plain");

    static void AssertOneLine(int code, string stderr, string path)
    {
        Assert.True(code == 2, $"exit {code}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {path}: no space left on device", line);
    }

    [Fact]
    public void Training_stops_in_one_line_and_keeps_its_last_checkpoint()
    {
        var dir = Place;
        Directory.CreateDirectory(dir);
        var config = TrainingConfigs.Write(dir, TrainingConfigs.Tiny(steps: 400, saveEvery: 5, keepEvery: 5));
        var run = Path.Combine(dir, "runs", "r");
        // the first checkpoints fit; kept models fill the disk
        Directory.CreateDirectory(run);
        Fill(leave: 600_000, Path.Combine(run, "state.pt.tmp"));
        var (code, _, stderr) = Cli.RunIn(dir, ["train", config, "--run-id", "r", "--no-eval"]);
        var path = stderr.Split(": no space")[0]["error: ".Length..];
        AssertOneLine(code, stderr, path);
        Assert.DoesNotContain(Directory.GetFiles(run, "*.tmp"), f => new FileInfo(f).LinkTarget is null);
        if (_mount != null)
        {
            using var state = PyTorchCheckpoint.Read(Path.Combine(run, "state.pt"));   // intact, and it resumes
            Assert.True(state.TrainStep >= 0);
        }
    }

    [Fact]
    public void Evaluation_figures_reports_and_exports_fail_in_one_line_and_leave_nothing()
    {
        var dir = Place;
        Directory.CreateDirectory(dir);
        var run = Path.Combine(dir, "run");
        Directory.CreateDirectory(run);
        foreach (var f in Directory.GetFiles(Probing.ProbingRun.Dir)) File.Copy(f, Path.Combine(run, Path.GetFileName(f)));
        var metrics = Path.Combine(run, "metrics.json");
        Fill(leave: 0, metrics + ".tmp", Path.Combine(dir, "report.html.tmp"), Path.Combine(dir, "out.pt.tmp"));

        var (code, _, stderr) = Cli.Run("eval", run, "--examples", "8", "--strategies", "standard");
        AssertOneLine(code, stderr, metrics);
        Assert.False(File.Exists(metrics));

        (code, _, stderr) = Cli.Run("export", run, "--out", Path.Combine(dir, "out.pt"));
        AssertOneLine(code, stderr, Path.Combine(dir, "out.pt"));
        Assert.False(File.Exists(Path.Combine(dir, "out.pt")));

        if (_mount != null) Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }
}
