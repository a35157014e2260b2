using System.IO.Compression;
using Xunit;
using Xunit.Abstractions;

namespace InContext.Tests.Packaging;

/// <summary>
/// The packages work as a user meets them, outside this repository: the tool installs into a
/// tool path and trains from another folder, and a console project of one's own uses the library
/// both by project reference (with the one Import line) and from the package. On Debian 12 each of
/// these crashed at the first tensor without the libstdc++ fix, so each run checks that it flows.
/// The tests share one pack (<see cref="PackagedCopy"/>); they run one after another.
/// </summary>
public class PackagingTests(PackagedCopy packed, ITestOutputHelper log) : IClassFixture<PackagedCopy>, IDisposable
{
    public void Dispose()
    {
        while (PackagedCopy.Timings.TryDequeue(out var line)) log.WriteLine(line);
    }

    void AssertPacked() => Assert.True(packed.Packing.ok, packed.Packing.output);

    [Fact]
    public void The_library_package_carries_its_documentation_and_what_flows_to_consumers()
    {
        AssertPacked();
        using var zip = ZipFile.OpenRead(packed.Package("InContext"));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[]
                 {
                     "lib/net10.0/InContext.dll", "lib/net10.0/InContext.xml", "README.md",
                     "buildTransitive/InContext.targets", "buildTransitive/PatchLibTorchSharp.targets", "buildTransitive/WeakenGlibcxxRequirement.cs",
                     "interactive-extensions/dotnet/extension.dib",
                 })
            Assert.Contains(expected, entries);
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName == "InContext.nuspec").Open());
        Assert.Contains("<dependency id=\"TorchSharp-cpu\" version=\"0.107.0\"", nuspec.ReadToEnd());

        // The tool: a pointer package naming this machine's RID package, which carries a patched libLibTorchSharp.so.
        using var pointer = ZipFile.OpenRead(packed.Package("InContext.Cli"));
        using var settings = new StreamReader(pointer.Entries.Single(e => e.FullName == "tools/any/any/DotnetToolSettings.xml").Open());
        Assert.Contains($"Id=\"InContext.Cli.{packed.Rid}\"", settings.ReadToEnd());
    }

    [Fact]
    public void The_tool_installs_into_a_tool_path_and_trains_from_another_folder()
    {
        AssertPacked();
        var tools = Path.Combine(packed.Root, "tools");
        var (code, output) = PackagedCopy.Dotnet(packed.Root, "tool", "install", "--tool-path", tools, "--configfile", packed.OfflineNuGetConfig,
            "InContext.Cli", "--version", packed.Version);
        Assert.True(code == 0, output);
        var icl = Path.Combine(tools, OperatingSystem.IsWindows() ? "icl.exe" : "icl");
        var elsewhere = Directory.CreateDirectory(Path.Combine(packed.Root, "elsewhere")).FullName;

        (code, output) = PackagedCopy.Run(icl, elsewhere, "--help");
        Assert.True(code == 0, output);
        Assert.Contains("train", output);
        (code, output) = PackagedCopy.Run(icl, elsewhere, "--version");
        Assert.True(code == 0, output);
        Assert.StartsWith(packed.Version, output.Split('\n')[1]);   // this pack's tool, not an older one
        (code, output) = PackagedCopy.Run(icl, elsewhere, "train", "--test-run");
        Assert.True(code == 0, output);
        Assert.Contains("step 100/100", output);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));   // a test run writes nothing
    }

    [Fact]
    public void A_project_of_ones_own_uses_the_library_by_project_reference_with_the_import_line()
    {
        AssertPacked();
        var library = Path.Combine(packed.Source, "src", "InContext", "InContext.csproj");
        var targets = Path.Combine(packed.Source, "build", "InContext.targets");
        var consumer = Consumer("by-reference", $"""
            <ItemGroup>
              <ProjectReference Include="{library}" />
            </ItemGroup>
            <!-- the libstdc++ fix for TorchSharp's native library, in this project's output -->
            <Import Project="{targets}" />
            """);
        RunsAndPredicts(consumer);
    }

    [Fact]
    public void A_project_of_ones_own_uses_the_library_from_the_package()
    {
        AssertPacked();
        var consumer = Consumer("from-package", $"""
            <ItemGroup>
              <PackageReference Include="InContext" Version="{packed.Version}" />
            </ItemGroup>
            """);
        File.Copy(packed.OfflineNuGetConfig, Path.Combine(consumer, "nuget.config"));
        RunsAndPredicts(consumer);
    }

    /// <summary>A new console project (as <c>dotnet new console</c> makes it) with <paramref name="references"/>, and the program below.</summary>
    string Consumer(string name, string references)
    {
        var dir = Directory.CreateDirectory(Path.Combine(packed.Root, name)).FullName;
        File.WriteAllText(Path.Combine(dir, $"{name}.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            {references}
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), Program);
        return dir;
    }

    /// <summary>
    /// Trains the quickstart model a few steps, and asks least squares (through the same regressor
    /// API a trained model has) about a linear function it must recover exactly.
    /// </summary>
    const string Program = """
        using InContext.Config;
        using InContext.Probing;
        using InContext.Training;

        var config = RunConfig.Quickstart();
        using (var trainer = new Trainer(config, run: null))
        {
            var losses = new List<double>();
            trainer.Train(totalSteps: 20, onStep: r => losses.Add(r.Loss));
            Console.WriteLine($"trained {trainer.NextStep} steps, loss {losses[0]:F3} -> {losses[^1]:F3}");
        }

        var w = new[] { 1.0, -2.0, 0.5 };
        var x = new double[8, 3];
        var y = new double[8];
        var random = new Random(1);
        for (var i = 0; i < 8; i++)
            for (var j = 0; j < 3; j++) { x[i, j] = random.NextDouble() * 2 - 1; y[i] += w[j] * x[i, j]; }
        using var leastSquares = InContextRegressor.Baseline("least_squares").Fit(x, y);
        var prediction = leastSquares.Predict(new double[,] { { 1, 1, 1 } })[0];
        Console.WriteLine($"least squares at (1, 1, 1): {prediction:F4}");
        """;

    void RunsAndPredicts(string consumer)
    {
        // Release and the pack's version: the library's build from the pack is then up to date
        // (a user's plain `dotnet run` builds the same, in Debug).
        var (code, output) = PackagedCopy.Dotnet(consumer, "run", "-c", "Release", $"-p:Version={packed.Version}");
        Assert.True(code == 0, output);
        Assert.Contains("trained 20 steps, loss ", output);
        Assert.Contains("least squares at (1, 1, 1): -0.5000", output);
        Assert.DoesNotContain("warning", output);
    }
}
