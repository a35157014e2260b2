using System.Collections;
using System.Diagnostics;
using InContext.Interop;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Interop;

/// <summary>
/// Bad files for <c>icl import</c> and <c>icl export</c>: one line naming the file, the key and
/// the expected versus found shape; exit code 2 from the CLI; nothing written.
/// </summary>
public class BadInputTests
{
    /// <summary>A copy of the fixture spoiled one way, and what the error must say.</summary>
    static (string dir, int? step, string[] says) Spoiled(string name)
    {
        string Write(string dir, string file, byte[] bytes) { File.WriteAllBytes(Path.Combine(dir, file), bytes); return dir; }
        Hashtable Model(Hashtable state) => ReferenceFixture.ModelState(state);
        var d = ReferenceFixture.CopyWith();
        return name switch
        {
            "no state.pt" => (Delete(Path.Combine(d, "state.pt")), null, ["state.pt: checkpoint file not found", "kept models: steps 5", "--step"]),
            "no kept model" => (d, 9, ["model_9.pt: checkpoint file not found (kept models: steps 5)"]),
            "truncated" => (Write(d, "state.pt", File.ReadAllBytes(ReferenceFixture.StatePath)[..(int)(new FileInfo(ReferenceFixture.StatePath).Length / 2)]), null,
                ["state.pt: not a readable PyTorch checkpoint"]),
            "not a checkpoint" => (Write(d, "state.pt", File.ReadAllBytes(Path.Combine(d, "config.yaml"))), null, ["state.pt: not a PyTorch checkpoint"]),
            "empty file" => (Write(d, "state.pt", []), null, ["state.pt: not a PyTorch checkpoint"]),
            "missing parameter" => (ReferenceFixture.CopyWith(s => Model(s).Remove("_backbone.h.1.mlp.c_fc.bias")), null,
                ["state.pt: missing key _backbone.h.1.mlp.c_fc.bias (expected shape [64])"]),
            "missing buffer" => (ReferenceFixture.CopyWith(s => Model(s).Remove("_backbone.h.1.attn.masked_bias")), null,
                ["state.pt: missing key _backbone.h.1.attn.masked_bias (expected shape [])"]),
            "unexpected key" => (ReferenceFixture.CopyWith(s => Model(s)["_backbone.h.2.attn.bias"] = ones(1, 1, 12, 12, ScalarType.Byte)), null,
                ["state.pt: unexpected key _backbone.h.2.attn.bias", "found shape [1, 1, 12, 12]"]),
            "buffer shape" => (ReferenceFixture.CopyWith(s => Model(s)["_backbone.h.0.attn.bias"] = ones(1, 1, 10, 10, ScalarType.Byte)), null,
                ["state.pt: _backbone.h.0.attn.bias: expected shape [1, 1, 12, 12] for the config, found [1, 1, 10, 10]"]),
            "config disagrees" => (ReplaceInConfig(d, "n_positions: 6", "n_positions: 7"), null,
                ["state.pt: _backbone.wpe.weight: expected shape [14, 16] for the config, found [12, 16]"]),
            "Adam moment shape" => (ReferenceFixture.CopyWith(s => ((Hashtable)((Hashtable)((Hashtable)s["optimizer_state_dict"]!)["state"]!)[3]!)["exp_avg"] = zeros(5)), null,
                ["state.pt: optimizer_state_dict.state.3.exp_avg: expected shape [12, 16] for _backbone.wpe.weight, found [5]"]),
            "no train_step" => (ReferenceFixture.CopyWith(s => s.Remove("train_step")), null, ["state.pt: missing key train_step"]),
            _ => throw new ArgumentException(name),
        };
    }

    static string Delete(string file) { File.Delete(file); return Path.GetDirectoryName(file)!; }

    static string ReplaceInConfig(string dir, string from, string to)
    {
        var path = Path.Combine(dir, "config.yaml");
        File.WriteAllText(path, File.ReadAllText(path).Replace(from, to));
        return dir;
    }

    [Theory]
    [InlineData("no state.pt")]
    [InlineData("no kept model")]
    [InlineData("truncated")]
    [InlineData("not a checkpoint")]
    [InlineData("empty file")]
    [InlineData("missing parameter")]
    [InlineData("missing buffer")]
    [InlineData("unexpected key")]
    [InlineData("buffer shape")]
    [InlineData("config disagrees")]
    [InlineData("Adam moment shape")]
    [InlineData("no train_step")]
    public void Import_refuses_in_one_line_and_writes_nothing(string spoiled)
    {
        var (dir, step, says) = Spoiled(spoiled);
        var parent = TestPaths.TempDir();
        var e = Assert.ThrowsAny<InputException>(() => ReferenceRunImport.Import(dir, step, Path.Combine(parent, "run")));
        Assert.DoesNotContain('\n', e.Message);
        foreach (var s in says) Assert.Contains(s, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void Import_never_writes_into_a_folder_that_holds_files()
    {
        var target = ReferenceRunImport.Import(ReferenceFixture.Dir, null, Path.Combine(TestPaths.TempDir(), "run")).Run.Path;
        var before = File.ReadAllBytes(Path.Combine(target, "state.pt"));
        var e = Assert.ThrowsAny<InputException>(() => ReferenceRunImport.Import(ReferenceFixture.Dir, 5, target));
        Assert.Contains("already holds files", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(target, "state.pt")));
        Assert.Equal(2, Directory.GetFileSystemEntries(target).Length);
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!));
    }

    [Fact]
    public void Export_never_overwrites_the_file_or_a_config_beside_it()
    {
        var run = ReferenceRunImport.Import(ReferenceFixture.Dir, null, Path.Combine(TestPaths.TempDir(), "run")).Run;
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "config.yaml"), "someone else's");
        var e = Assert.ThrowsAny<InputException>(() => ReferenceExport.Export(run.Path, Path.Combine(dir, "model.pt"), forReference: true));
        Assert.Contains($"{Path.Combine(dir, "config.yaml")}: already exists", e.Message);
        Assert.Equal(["config.yaml"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal("someone else's", File.ReadAllText(Path.Combine(dir, "config.yaml")));
        Assert.ThrowsAny<InputException>(() => ReferenceExport.Export(run.Path, Path.Combine(dir, "config.yaml"), forReference: false));
        var other = TestPaths.TempDir();
        e = Assert.ThrowsAny<InputException>(() => ReferenceExport.Export(run.Path, Path.Combine(other, "state.pt"), forReference: true));
        Assert.Contains("name the file model_<step>.pt", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(other));
    }

    // --- the CLI: `dotnet icl.dll ...` as a user runs it (icl.dll is copied beside the tests) ---

    static (int code, string stdout, string stderr) Icl(params string[] args) => Cli.Run(args);

    [Fact]
    public void Cli_import_of_a_truncated_file_exits_2_with_one_line_and_writes_nothing()
    {
        var (dir, _, _) = Spoiled("truncated");
        var parent = TestPaths.TempDir();
        var (code, stdout, stderr) = Icl("import", dir, "--out", Path.Combine(parent, "run"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: {Path.Combine(dir, "state.pt")}: not a readable PyTorch checkpoint", stderr.TrimEnd('\n').Split(" (")[0]);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void Cli_import_then_export_for_reference()
    {
        var parent = TestPaths.TempDir();
        var run = Path.Combine(parent, "run");
        var (code, stdout, stderr) = Icl("import", ReferenceFixture.Dir, "--out", run);
        Assert.True(code == 0, stderr);
        Assert.Contains($"continues at step 8", stdout);
        var model = Path.Combine(parent, "ref", "model_7.pt");
        (code, stdout, stderr) = Icl("export", run, "--out", model, "--for-reference");
        Assert.True(code == 0, stderr);
        Assert.Equal([Path.Combine(parent, "ref", "config.yaml"), model], Directory.GetFiles(Path.GetDirectoryName(model)!).Order());
        (code, _, stderr) = Icl("export", run, "--out", model);
        Assert.Equal(2, code);
        Assert.Equal($"error: {model}: already exists; nothing overwritten (choose another --out)\n", stderr);
    }
}
