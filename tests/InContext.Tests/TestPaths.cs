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

    /// <summary>Copies what a build of the repository reads (sources, build steps, configs, docs, props) to <paramref name="to"/>, without bin/ and obj/.</summary>
    public static void CopySources(string to)
    {
        foreach (var entry in new[] { "src", "build", "conf", "docs", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            CopyTree(Path.Combine(RepoRoot, entry), Path.Combine(to, entry));
    }

    static void CopyTree(string from, string to)
    {
        if (File.Exists(from)) { File.Copy(from, to); return; }
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from))
            if (Path.GetFileName(d) is not ("bin" or "obj")) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
