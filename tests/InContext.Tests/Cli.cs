using System.Diagnostics;
using Xunit;

namespace InContext.Tests;

/// <summary>Runs the icl program as a user does (<c>dotnet icl.dll ...</c>; icl.dll is copied beside the tests).</summary>
static class Cli
{
    public static (int code, string stdout, string stderr) Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs icl in <paramref name="workingDirectory"/> (null: the tests' own), with extra environment variables.</summary>
    public static (int code, string stdout, string stderr) RunIn(string? workingDirectory, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = Start(workingDirectory, args, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "icl did not finish in 5 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts icl without waiting (its output redirected), for tests that signal or kill it.</summary>
    public static Process Start(string? workingDirectory, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "icl.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return Process.Start(start)!;
    }
}
