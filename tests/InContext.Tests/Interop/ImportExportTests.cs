using System.Collections;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using InContext.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Tests.Interop;

/// <summary>The paper's run folder imported as ours, and ours exported back in its layout.</summary>
public class ImportExportTests
{
    static string NewOut() => Path.Combine(TestPaths.TempDir(), "run");

    /// <summary>A config as its YAML (records holding dictionaries do not compare by value).</summary>
    static string Yaml(RunConfig c) => YamlWriter.Write(c.ToTree());

    [Theory]
    [InlineData(null, "pred_state", 7)]
    [InlineData(5, "pred_model_5", 5)]
    public void Imported_run_reproduces_PyTorch_predictions(int? step, string expected, int trainStep)
    {
        var result = ReferenceRunImport.Import(ReferenceFixture.Dir, step, NewOut());
        Assert.Equal(trainStep, result.TrainStep);
        Assert.Equal(step == null, result.AdamImported);
        Assert.Equal(new[] { "config.yaml", "state.pt" }, Directory.GetFileSystemEntries(result.Run.Path).Select(Path.GetFileName).Order());
        using var model = result.Run.LoadModel();
        ReferenceFixture.AssertPredicts(model, expected);
        Assert.Equal(Yaml(ReferenceFixture.Config), Yaml(result.Run.LoadConfig()));

        // A kept model brings no Adam state: training would continue after its step with fresh moments.
        using var trainer = new Trainer(result.Run.LoadConfig(), result.Run);
        Assert.Equal(trainStep + 1, trainer.NextStep);
        Assert.Equal(step == null ? 8 : 0, ((Adam.State)trainer.Optimizer.state_dict().State[0]).step);
    }

    [Fact]
    public void Training_continues_at_step_8_with_the_imported_Adam_moments()
    {
        var run = ReferenceRunImport.Import(ReferenceFixture.Dir, null, NewOut()).Run;
        using var trainer = new Trainer(run.LoadConfig(), run);
        Assert.Equal(8, trainer.NextStep);

        // The paper's Adam indices are ours shifted by one after the read-in (its unused wte sits there).
        var names = trainer.Model.named_parameters().Select(p => p.name).ToList();
        var ours = names.IndexOf("_backbone.h.1.mlp.c_fc.weight");
        var file = (Hashtable)((Hashtable)ReferenceFixture.Raw()["optimizer_state_dict"]!)["state"]!;
        var entry = (Hashtable)file[ours + 1]!;
        var moment = (Adam.State)trainer.Optimizer.state_dict().State[ours];
        Assert.True(moment.exp_avg_sq.Same((Tensor)entry["exp_avg_sq"]!));
        Assert.True(moment.exp_avg.Same((Tensor)entry["exp_avg"]!));
        Assert.Equal(8, moment.step);

        var steps = new List<int>();
        trainer.Train(totalSteps: 9, onStep: r => steps.Add(r.Step));
        Assert.Equal([8], steps);
        Assert.Equal(9, moment.step);
        using var saved = PyTorchCheckpoint.Read(run.StatePath);
        Assert.Equal(8, saved.TrainStep);
    }

    [Fact]
    public void Adam_step_as_a_plain_integer_as_PyTorch_1_11_wrote_it_is_accepted()
    {
        var dir = ReferenceFixture.CopyWith(state =>
        {
            foreach (DictionaryEntry e in (Hashtable)((Hashtable)state["optimizer_state_dict"]!)["state"]!)
                ((Hashtable)e.Value!)["step"] = 8;
        });
        var written = (Hashtable)((Hashtable)TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(Path.Combine(dir, "state.pt"))["optimizer_state_dict"]!)["state"]!;
        Assert.IsType<int>(((Hashtable)written[0]!)["step"]);
        var run = ReferenceRunImport.Import(dir, null, NewOut()).Run;
        using var trainer = new Trainer(run.LoadConfig(), run);
        Assert.Equal(8, trainer.NextStep);
        Assert.Equal(8, ((Adam.State)trainer.Optimizer.state_dict().State[5]).step);
    }

    [Fact]
    public void Import_export_for_reference_import_again_keeps_predictions_keys_and_shapes()
    {
        var run = ReferenceRunImport.Import(ReferenceFixture.Dir, null, NewOut()).Run;
        var exportDir = TestPaths.TempDir();
        var result = ReferenceExport.Export(run.Path, Path.Combine(exportDir, "model_7.pt"), forReference: true);
        Assert.Empty(result.Notes);

        // The exact key set and shapes of the fixture's model_state_dict, no more, no less.
        var fixture = ReferenceFixture.ModelState(ReferenceFixture.Raw());
        using var exported = PyTorchCheckpoint.Read(result.ModelPath);
        Assert.Equal(fixture.Keys.Cast<string>().Order(), exported.Model.Keys.Order());
        foreach (var (key, t) in exported.Model)
        {
            var f = (Tensor)fixture[key]!;
            Assert.True(f.shape.SequenceEqual(t.shape), $"{key}: [{string.Join(", ", t.shape)}], fixture [{string.Join(", ", f.shape)}]");
            Assert.True(f.dtype == t.dtype, $"{key}: {t.dtype}, fixture {f.dtype}");
            // The buffers as transformers saves them; the parameters as imported (wte is unused: zeros).
            if (key == PyTorchCheckpoint.TokenEmbeddingKey) Assert.Equal(0, t.abs().sum().ToSingle());
            else Assert.True(f.Same(t), $"{key} differs from the fixture's");
        }

        // config.yaml in the paper's schema beside it: ours less training.seed.
        Assert.Equal(Path.Combine(exportDir, "config.yaml"), result.ConfigPath);
        Assert.DoesNotContain("seed", File.ReadAllText(result.ConfigPath!));

        var again = ReferenceRunImport.Import(exportDir, 7, NewOut()).Run;
        using var model = again.LoadModel();
        ReferenceFixture.AssertPredicts(model, "pred_state");
        Assert.Equal(Yaml(run.LoadConfig()), Yaml(again.LoadConfig()));
    }

    [Fact]
    public void Export_in_our_layout_is_a_bare_state_dict_of_our_parameters()
    {
        var run = ReferenceRunImport.Import(ReferenceFixture.Dir, null, NewOut()).Run;
        var path = Path.Combine(TestPaths.TempDir(), "ours.pt");
        var result = ReferenceExport.Export(run.Path, path, forReference: false);
        Assert.Null(result.ConfigPath);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
        using var model = run.LoadModel();
        using var contents = PyTorchCheckpoint.Read(path);
        Assert.Null(contents.TrainStep);
        Assert.Equal(model.state_dict().Keys.Order(), contents.Model.Keys.Order());
        foreach (var (key, p) in model.state_dict()) Assert.True(p.Same(contents.Model[key]), key);
    }

    [Fact]
    public void Reference_config_has_no_seed_and_floats_PyYAML_reads_as_floats()
    {
        var config = ReferenceFixture.Config;
        config = config with { Training = config.Training with { LearningRate = 1e-5, Seed = 3 } };
        var yaml = YamlWriter.Write(ReferenceExport.ReferenceConfigTree(config));
        Assert.Contains("learning_rate: 1.0E-05\n", yaml);
        Assert.DoesNotContain("seed", yaml);
        Assert.Equal(Yaml(config with { Training = config.Training with { Seed = 0 } }), Yaml(RunConfig.Parse(yaml)));
        Assert.Contains("learning_rate: 2.0\n", YamlWriter.Write(new() { ["learning_rate"] = 2.0 }));
    }

    [Fact]
    public void Export_for_reference_says_when_the_papers_schema_lacks_the_task()
    {
        var dir = TestPaths.TempDir();
        var run = new RunFolder(Path.Combine(dir, "run"));
        var config = RunConfig.Parse("""
            model: {n_dims: 2, n_positions: 4, n_embd: 8, n_layer: 1, n_head: 1}
            training:
              task: quadratic_regression
              curriculum: {dims: {start: 2, end: 2, inc: 1, interval: 10}, points: {start: 4, end: 4, inc: 1, interval: 10}}
            out_dir: unused
            """);
        using (var trainer = new Trainer(config, run)) trainer.Train(totalSteps: 1);
        var result = ReferenceExport.Export(run.Path, Path.Combine(dir, "ref", "model.pt"), forReference: true);
        Assert.Contains(result.Notes, n => n.Contains("quadratic_regression"));
    }
}
