using System.Diagnostics;
using System.Runtime.InteropServices;

namespace InContext.Tests.Packaging;

/// <summary>
/// The packages as a user makes them, made once for all packaging tests: a copy of the sources in
/// a temporary folder (so the repository's own bin/ and obj/ stay untouched while other tests run),
/// packed with <c>dotnet pack -c Release</c>: the library <c>InContext</c> and the tool
/// <c>InContext.Cli</c> (its pointer package and this machine's RID package only, to keep CI
/// short; <c>dotnet pack -c Release -o artifacts</c> at the root packs all three RIDs). The
/// version is unique to the test run (<c>0.1.0-test.…</c>): NuGet never re-reads a version it has
/// cached, so a fixed one could pick up an older package. Everything is removed afterwards,
/// including that version's folders in the NuGet cache.
/// </summary>
public sealed class PackagedCopy : IDisposable
{
    public string Root { get; }
    /// <summary>The copied repository: src/, build/, conf/, docs/, Directory.*.</summary>
    public string Source { get; }
    public string Artifacts { get; }
    public string Version { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}{Random.Shared.Next(100):D2}";
    public string Rid { get; } = RuntimeInformation.RuntimeIdentifier;
    /// <summary>A nuget.config that reads only the packed artifacts and the NuGet cache (no network).</summary>
    public string OfflineNuGetConfig { get; }
    /// <summary>Whether packing succeeded, and what dotnet printed.</summary>
    public (bool ok, string output) Packing { get; }

    public PackagedCopy()
    {
        Root = TestPaths.TempDir();
        Source = Path.Combine(Root, "repo");
        Artifacts = Path.Combine(Root, "artifacts");
        TestPaths.CopySources(Source);
        OfflineNuGetConfig = Path.Combine(Root, "nuget.config");
        File.WriteAllText(OfflineNuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{Artifacts}" />
                <add key="cache" value="{NuGetPackages}" />
              </packageSources>
            </configuration>
            """);
        var output = "";
        var ok = true;
        foreach (var project in new[] { "src/InContext.Cli/InContext.Cli.csproj", "src/InContext/InContext.csproj" })
        {
            var (code, text) = Dotnet(Source, "pack", project, "-c", "Release", "-o", Artifacts, $"-p:Version={Version}", $"-p:IclToolRuntimeIdentifiers={Rid}");
            output += text;
            if (code != 0) { ok = false; break; }
        }
        Packing = (ok, output);
    }

    public string Package(string id) => Path.Combine(Artifacts, $"{id}.{Version}.nupkg");

    /// <summary>How long each command took, for the test log (`dotnet test --logger "console;verbosity=detailed"`).</summary>
    public static readonly System.Collections.Concurrent.ConcurrentQueue<string> Timings = new();

    public static string NuGetPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Runs dotnet (the one running the tests) in <paramref name="workingDirectory"/>; exit code and stdout + stderr.</summary>
    public static (int code, string output) Dotnet(string workingDirectory, params string[] args) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", workingDirectory, args);

    public static (int code, string output) Run(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in args) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{file} {string.Join(' ', args)}: did not finish in 10 minutes\n{stdout.Result}{stderr.Result}");
        }
        var command = $"{Path.GetFileName(file)} {string.Join(' ', args)}";
        Timings.Enqueue($"{clock.Elapsed.TotalSeconds,6:F1} s  {command}");
        return (p.ExitCode, $"$ {command}\n{stdout.Result}{stderr.Result}");
    }

    public void Dispose()
    {
        foreach (var id in new[] { "incontext", "incontext.cli", $"incontext.cli.{Rid}" })
        {
            var cached = Path.Combine(NuGetPackages, id, Version.ToLowerInvariant());
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }   // a process still holding a file: the temporary folder stays
    }
}
