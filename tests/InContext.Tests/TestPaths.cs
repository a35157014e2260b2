namespace InContext.Tests;

/// <summary>Where the tests find the repository's files and the PyTorch fixture.</summary>
static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "InContext.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root (InContext.slnx) not found above " + AppContext.BaseDirectory);
    }

    public static string Conf(string name) => Path.Combine(RepoRoot, "conf", name);

    /// <summary>The run folder written by real PyTorch 1.13 with the paper's code (tests/fixtures/reference-run).</summary>
    public static string ReferenceRun { get; } = Path.Combine(RepoRoot, "tests", "fixtures", "reference-run");

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "incontext-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
