namespace InContext.Tests;

/// <summary>Where the tests find the repository's files and the shared PyTorch fixture.</summary>
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

    /// <summary>The run folder written by real PyTorch (../shared/fixtures/reference-run beside the repository).</summary>
    public static string ReferenceRun { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures", "reference-run"));

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "incontext-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
