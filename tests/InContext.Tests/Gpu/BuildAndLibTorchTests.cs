using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace InContext.Tests.Gpu;

/// <summary>
/// The GPU path as far as a machine without a GPU can check it: the build switch picks each
/// TorchSharp package, and a self-contained icl without a libtorch of its own runs on a libtorch
/// folder given by ICL_LIBTORCH (here the CPU libtorch of the NuGet cache, laid out as a libtorch
/// distribution), refusing a missing, unknown or wrongly versioned one in one line.
/// </summary>
public class BuildAndLibTorchTests
{
    static (int code, string output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(600_000), "dotnet did not finish in 10 minutes");
        return (p.ExitCode, output.Result + error.Result);
    }

    [Theory]
    [InlineData("cpu", null, "TorchSharp-cpu")]
    [InlineData("cuda", null, "TorchSharp-cuda-linux")]
    [InlineData("cuda", "win-x64", "TorchSharp-cuda-windows")]
    [InlineData("external", null, "TorchSharp")]
    public void The_build_switch_references_one_TorchSharp_package(string backend, string? rid, string package)
    {
        var args = new List<string> { "msbuild", Path.Combine(TestPaths.RepoRoot, "src", "InContext", "InContext.csproj"), $"-p:TorchBackend={backend}", "-getItem:PackageReference", "-getItem:PackageVersion" };
        if (rid != null) args.Add($"-p:RuntimeIdentifier={rid}");
        var (code, output) = Dotnet(TestPaths.RepoRoot, args.ToArray());
        Assert.True(code == 0, output);
        var items = JsonDocument.Parse(output).RootElement.GetProperty("Items");
        var torch = items.GetProperty("PackageReference").EnumerateArray().Select(i => i.GetProperty("Identity").GetString()!)
            .Where(n => n.StartsWith("TorchSharp") && n != "TorchSharp.PyBridge").ToList();
        Assert.Equal([package], torch);
        var version = items.GetProperty("PackageVersion").EnumerateArray().Single(i => i.GetProperty("Identity").GetString() == package).GetProperty("Version").GetString();
        Assert.Equal("0.107.0", version);
    }

    [Fact]
    public void An_unknown_backend_is_refused_by_the_build()
    {
        var (code, output) = Dotnet(TestPaths.RepoRoot, "msbuild", Path.Combine(TestPaths.RepoRoot, "src", "InContext", "InContext.csproj"), "-p:TorchBackend=gpu", "-t:CheckTorchBackend");
        Assert.NotEqual(0, code);
        Assert.Contains("TorchBackend=gpu: expected cpu, cuda or external", output);
    }

    [Fact]
    public void The_default_build_refuses_a_second_libtorch_in_one_line()
    {
        var (code, _, stderr) = Cli.RunIn(null, ["train", "--test-run"], new Dictionary<string, string> { ["ICL_LIBTORCH"] = LibTorchFolder("2.10.0+cpu") });
        Assert.Equal(2, code);
        Assert.Contains("this build carries its own libtorch", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_self_contained_icl_without_libtorch_runs_on_the_one_ICL_LIBTORCH_names()
    {
        // A copy of the sources, published as a user would for a cluster node: runtime included, no libtorch.
        var copy = TestPaths.TempDir();
        TestPaths.CopySources(copy);
        var published = Path.Combine(copy, "out");
        var (code, output) = Dotnet(copy, "publish", "src/InContext.Cli", "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:TorchBackend=external", "-o", published);
        Assert.True(code == 0, output);
        Assert.Empty(Directory.GetFiles(published, "libtorch*.so"));
        Assert.True(File.Exists(Path.Combine(published, "libLibTorchSharp.so")));
        var icl = Path.Combine(published, "icl");

        (int code, string stdout, string stderr) Icl(string? libtorch, params string[] args)
        {
            var start = new ProcessStartInfo(icl) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = copy };
            foreach (var a in args) start.ArgumentList.Add(a);
            start.Environment.Remove("ICL_LIBTORCH");
            if (libtorch != null) start.Environment["ICL_LIBTORCH"] = libtorch;
            using var p = Process.Start(start)!;
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(300_000));
            return (p.ExitCode, o.Result, e.Result);
        }

        var (c, stdout, stderr) = Icl(LibTorchFolder("2.10.0+cpu"), "train", "--test-run");
        Assert.True(c == 0, stderr);
        Assert.Contains("step 100/100", stdout);
        // Asked for CUDA on a CPU libtorch of the user's: the line names that folder, not the CPU build.
        var cpuLib = LibTorchFolder("2.10.0+cpu");
        (c, _, stderr) = Icl(cpuLib, "train", "--test-run", "--device", "cuda");
        Assert.Equal(2, c);
        Assert.Equal($"error: --device cuda: CUDA is not available to this build (the libtorch in {cpuLib} is a CPU build; ICL_LIBTORCH names a CUDA one)", stderr.Trim());
        (c, _, stderr) = Icl(null, "train", "--test-run");
        Assert.Equal(2, c);
        Assert.Equal("error: this icl was built without a libtorch of its own (TorchBackend=external): set ICL_LIBTORCH to a libtorch folder (an installed PyTorch's torch/lib) or to 'python'", stderr.Trim());
        (c, _, stderr) = Icl(LibTorchFolder("2.5.1+cpu"), "train", "--test-run");
        Assert.Equal(2, c);
        Assert.Contains("libtorch 2.5.1+cpu; TorchSharp 0.107.0 is built for libtorch 2.10.x and runs on 2.10.x and 2.11.x; set ICL_LIBTORCH_ANY_VERSION=1", stderr);
        (c, _, stderr) = Icl(Path.Combine(copy, "nowhere"), "train", "--test-run");
        Assert.Equal(2, c);
        Assert.Contains("no libtorch_cpu.so there", stderr);
    }

    /// <summary>The NuGet cache's CPU libtorch as a libtorch distribution declaring <paramref name="version"/>: lib/ and build-version.</summary>
    static string LibTorchFolder(string version)
    {
        var native = Directory.GetDirectories(Path.Combine(NuGetPackages(), "libtorch-cpu-linux-x64"))
            .Select(v => Path.Combine(v, "runtimes", "linux-x64", "native")).First(Directory.Exists);
        var root = TestPaths.TempDir();
        var lib = Directory.CreateDirectory(Path.Combine(root, "lib")).FullName;
        foreach (var f in Directory.GetFiles(native)) File.CreateSymbolicLink(Path.Combine(lib, Path.GetFileName(f)), f);
        File.WriteAllText(Path.Combine(root, "build-version"), version + "\n");
        return lib;
    }

    static string NuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
