using System.Security.Cryptography;
using InContext.Tests.Probing;
using Xunit;
using InContext.Storage;

namespace InContext.Tests.Reliability;

/// <summary>
/// One malformed input and what icl must say about it: the command line (run in a fresh folder
/// that <see cref="Setup"/> fills), the exit code, and words the one line of error must hold.
/// <c>{run}</c> in an argument is a copy of a small trained run inside that folder.
/// </summary>
public sealed record MalformedInput(string Name, string[] Args, string Says, Action<string>? Setup = null, int Code = 2)
{
    public override string ToString() => Name;
}

/// <summary>
/// Runs a corpus of malformed inputs through the real program and holds each to the promise:
/// one line on stderr that starts with <c>error:</c> and says what was wrong, no stack trace,
/// the expected exit code, and the folder exactly as it was (no file written, changed or left
/// behind).
/// </summary>
static class Corpus
{
    /// <summary>A valid tiny config in block style, for cases to spoil one line of.</summary>
    public const string TinyConfig = """
        model:
          family: gpt2
          n_dims: 3
          n_positions: 6
          n_embd: 16
          n_layer: 1
          n_head: 2
        training:
          task: linear_regression
          batch_size: 4
          learning_rate: 0.001
          train_steps: 4
          save_every_steps: 2
          seed: 0
          curriculum:
            dims:
              start: 3
              end: 3
              inc: 1
              interval: 100
            points:
              start: 6
              end: 6
              inc: 1
              interval: 100
        out_dir: runs
        """;

    /// <summary>Writes the tiny config with <paramref name="from"/> replaced by <paramref name="to"/> as <c>bad.yaml</c>.</summary>
    public static Action<string> Spoiled(string from, string to) => dir =>
    {
        Assert.Contains(from, TinyConfig);
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), TinyConfig.Replace(from, to));
    };

    public static Action<string> WriteFile(string name, string text) => dir => File.WriteAllText(Path.Combine(dir, name), text);

    public static Action<string> WriteBytes(string name, byte[] bytes) => dir => File.WriteAllBytes(Path.Combine(dir, name), bytes);

    public static void Check(MalformedInput c)
    {
        var dir = TestPaths.TempDir();
        c.Setup?.Invoke(dir);
        var args = c.Args.Select(a => a.Replace("{run}", CopyRun(dir))).ToArray();
        var before = Snapshot(dir);
        var (code, stdout, stderr) = Cli.RunIn(dir, args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{c.Name}: expected one line on stderr, got {lines.Length}:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(c.Says, lines[0]);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.True(code == c.Code, $"{c.Name}: exit code {code}, expected {c.Code}; {lines[0]}");
        Assert.Equal(before, Snapshot(dir));
    }

    /// <summary>A copy of the small trained run inside <paramref name="dir"/> (made before the snapshot, so it must not change either).</summary>
    static string CopyRun(string dir)
    {
        var run = Path.Combine(dir, "run");
        if (Directory.Exists(run)) return run;
        Directory.CreateDirectory(run);
        foreach (var f in Directory.GetFiles(ProbingRun.Dir)) File.Copy(f, Path.Combine(run, Path.GetFileName(f)));
        return run;
    }

    /// <summary>
    /// Every file and folder below <paramref name="dir"/> with its content's hash; a run folder's
    /// <c>.lock</c> by name only (it holds the name of whichever process last took it); what is
    /// not a regular file (a FIFO) by its kind, which must not change either.
    /// </summary>
    public static string Snapshot(string dir) =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => Path.GetRelativePath(dir, p) + (Directory.Exists(p) ? "/" : Path.GetFileName(p) == RunLock.FileName ? ""
                : FileKinds.Of(p) is var kind && kind != FileKind.Regular ? $" ({kind})"
                : " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))))));
}
