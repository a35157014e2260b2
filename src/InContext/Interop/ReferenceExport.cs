using InContext.Config;
using InContext.Yaml;
using static TorchSharp.torch;
using InContext.Storage;


namespace InContext.Interop;

/// <summary>What <see cref="ReferenceExport.Export"/> wrote, and what the paper's code will make of it.</summary>
/// <param name="ModelPath">The model file written.</param>
/// <param name="ConfigPath">The <c>config.yaml</c> written beside the model (only <c>--for-reference</c>).</param>
/// <param name="Notes">Things the paper's code will refuse or do differently, one line each.</param>
public sealed record ExportResult(string ModelPath, string? ConfigPath, IReadOnlyList<string> Notes);

/// <summary>
/// Writes a run's model as a PyTorch file (<c>torch.save</c> of a bare state dict). In our
/// layout it is a <c>model_&lt;step&gt;.pt</c> of ours. For the paper's code
/// (<c>forReference</c>) it carries the keys that the paper's
/// <c>TransformerModel.load_state_dict(strict=True)</c> asks for and our model lacks — the unused
/// <c>wte</c> as zeros, and each layer's <c>attn.bias</c> and <c>attn.masked_bias</c> buffers
/// as transformers 4.17 saves them (<see cref="PyTorchCheckpoint.ReferenceOnlyKeys"/>) — and a
/// <c>config.yaml</c> in the paper's schema is written beside it. Conv1D weights are
/// <c>[in, out]</c> in both models, so nothing is transposed. Existing files are never
/// overwritten, and a failure leaves neither file behind.
/// <para>
/// Named <c>&lt;dir&gt;/model_&lt;step&gt;.pt</c>, the paper's <c>get_model_from_run(dir, step)</c>
/// loads it with the <c>config.yaml</c> beside it. No training state (<c>state.pt</c> with Adam)
/// is written for the paper's code: Adam's <c>step</c> changed type between the PyTorch it pins
/// (1.11, an integer) and later ones (a tensor), and a file that only one of them reads is worse
/// than none.
/// </para>
/// </summary>
public static class ReferenceExport
{
    /// <summary>The tasks the paper's schema allows (<c>src/schema.py</c>, <c>TASK_LIST</c>).</summary>
    public static readonly string[] ReferenceTasks =
        ["linear_regression", "sparse_linear_regression", "linear_classification", "relu_2nn_regression", "decision_tree"];

    /// <summary>Writes the model of run folder <paramref name="runDir"/> to <paramref name="outFile"/>, in our layout or, <paramref name="forReference"/>, the paper's.</summary>
    /// <param name="runDir">The run folder to export from.</param>
    /// <param name="outFile">The model file to write; an existing one is refused.</param>
    /// <param name="forReference">Write for the paper's code: its extra keys, and its <c>config.yaml</c> beside the file.</param>
    /// <param name="step">Export the kept <c>model_&lt;step&gt;.pt</c> rather than <c>state.pt</c>.</param>
    public static ExportResult Export(string runDir, string outFile, bool forReference, int? step = null)
    {
        var run = new RunFolder(runDir);
        if (!Directory.Exists(run.Path)) throw new InputException($"{run.Path}: run folder not found");
        var target = Path.GetFullPath(outFile);
        if (Directory.Exists(target)) throw new InputException($"{target}: is a folder; --out names the file to write (e.g. model.pt)");
        if (forReference && Path.GetFileName(target) == "state.pt")
            throw new InputException($"{target}: the paper's code reads state.pt as a training state (model, Adam, step), not a bare state dict; name the file model_<step>.pt");
        RefuseExisting(target);
        AtomicFile.EnsureWritable(target);
        var configPath = forReference ? Path.Combine(Path.GetDirectoryName(target)!, "config.yaml") : null;
        if (configPath != null) RefuseExisting(configPath);

        var config = run.LoadConfig();
        using var model = run.LoadModel(step: step);
        using var scope = NewDisposeScope();   // holds the copies written (and their temporaries), frees them after
        var table = forReference ? PyTorchCheckpoint.ReferenceModelStateTable(model) : PyTorchCheckpoint.ModelStateTable(model);
        var notes = new List<string>();
        if (forReference && !ReferenceTasks.Contains(config.Training.Task))
            notes.Add($"training.task '{config.Training.Task}' is not in the paper's schema: its train.py refuses this config.yaml; the model file loads regardless");

        PyTorchCheckpoint.WriteAtomically(target, table);
        if (configPath != null)
        {
            try { YamlWriter.WriteAtomically(configPath, ReferenceConfigTree(config)); }
            catch { File.Delete(target); throw; }
        }
        return new ExportResult(target, configPath, notes);
    }

    /// <summary>Our config in the paper's schema: ours less <c>training.seed</c>, a key the paper's schema would refuse.</summary>
    public static Dictionary<string, object?> ReferenceConfigTree(RunConfig config)
    {
        var tree = config.ToTree();
        ((Dictionary<string, object?>)tree["training"]!).Remove("seed");
        return tree;
    }

    static void RefuseExisting(string path)
    {
        if (File.Exists(path) || Directory.Exists(path))
            throw new InputException($"{path}: already exists; nothing overwritten (choose another --out)");
    }
}
