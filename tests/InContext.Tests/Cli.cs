using System.Diagnostics;
using Xunit;

namespace InContext.Tests;

/// <summary>Runs the icl program as a user does (<c>dotnet icl.dll ...</c>; icl.dll is copied beside the tests).</summary>
static class Cli
{
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "icl.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "icl did not finish in 5 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
