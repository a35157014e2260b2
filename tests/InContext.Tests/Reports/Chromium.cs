using System.Diagnostics;
using Xunit;

namespace InContext.Tests.Reports;

/// <summary>Debian's headless Chromium, to open a page as a reader would and take a screenshot.</summary>
static class Chromium
{
    public const string InstallCommand = "apt-get install -y chromium";
    static readonly string[] Candidates = { "/usr/bin/chromium", "/usr/bin/chromium-browser" };

    public static string Executable =>
        Candidates.FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException($"headless Chromium is needed to check the HTML report and is not installed: run `{InstallCommand}`");

    /// <summary>Opens <paramref name="page"/>, saves a screenshot, and returns Chromium's log (stderr), which carries the page's console messages.</summary>
    public static string Screenshot(string page, string screenshot, int width = 1400, int height = 2000)
    {
        var profile = Directory.CreateTempSubdirectory("incontext-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                $"--user-data-dir={profile}", $"--screenshot={screenshot}", $"--window-size={width},{height}",
                new Uri(Path.GetFullPath(page)).AbsoluteUri,
            })
                start.ArgumentList.Add(arg);

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish within 120 s on {page}");
            }
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {stderr.Result}");
            Assert.True(File.Exists(screenshot), $"chromium wrote no screenshot: {stderr.Result}");
            return stderr.Result + stdout.Result;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The lines of Chromium's log that report an error raised by the page (script errors, console.error).</summary>
    public static List<string> PageErrors(string log) =>
        log.Split('\n').Where(l => l.Contains("Uncaught") || l.Contains("ERROR:CONSOLE") || (l.Contains(":CONSOLE") && l.Contains("rror"))).ToList();
}
