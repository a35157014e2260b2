using InContext.Config;
using InContext.Models;

using TorchSharp;
using TorchSharp.Modules;
using InContext.Storage;

namespace InContext.Interop;

/// <summary>What <see cref="ReferenceRunImport.Import"/> wrote.</summary>
/// <param name="Run">The run folder written.</param>
/// <param name="Config">Its config, as written (in our schema).</param>
/// <param name="Source">The checkpoint read (<c>state.pt</c> or <c>model_&lt;step&gt;.pt</c>).</param>
/// <param name="TrainStep">The last completed step: the file's <c>train_step</c>, or the kept model's step.</param>
/// <param name="AdamImported">Whether Adam's moments and step came along (only from a <c>state.pt</c>).</param>
/// <param name="NonFinite">Parameters that hold NaN or infinity: the paper's run diverged; evaluation will refuse the model.</param>
public sealed record ImportResult(RunFolder Run, RunConfig Config, string Source, int TrainStep, bool AdamImported, IReadOnlyList<string> NonFinite)
{
    /// <summary>The step <c>icl train</c> continues at.</summary>
    public int NextStep => TrainStep + 1;
}

/// <summary>
/// Turns a run folder of the paper's PyTorch code into one of ours. Its <c>config.yaml</c>
/// (the paper's schema, <c>inherit</c> flattened, <c>wandb</c> keys accepted) becomes our
/// <c>config.yaml</c> (with <c>training.seed: 0</c> added); its <c>state.pt</c> — model, Adam
/// state in the paper's layout (indices shifted by <c>wte</c>; <c>step</c> a tensor or, from
/// PyTorch 1.11, an integer), <c>train_step</c> — becomes our <c>state.pt</c> (model, Adam
/// state in our layout, same <c>train_step</c>), so <c>icl train</c> continues at
/// <c>train_step + 1</c> with the imported moments.
/// <para>
/// A kept <c>model_&lt;step&gt;.pt</c> (<c>--step</c>) has no optimizer state: the run folder
/// then gets a <c>state.pt</c> with those weights, <c>train_step = step</c> and an empty Adam
/// state, so evaluation uses those weights and training, if asked for, continues at
/// <c>step + 1</c> with fresh Adam moments.
/// </para>
/// The paper's keys map onto ours by name: its Conv1D weights are <c>[in, out]</c> and so are
/// ours (<see cref="Conv1D"/>), so nothing is transposed; <c>wte</c>, <c>attn.bias</c> and
/// <c>attn.masked_bias</c> are checked against the config and dropped. Everything is read and
/// checked before anything is written, the folder is written under a temporary name beside
/// <c>--out</c> and renamed into place last, and an <c>--out</c> that holds anything is
/// refused: a failure leaves nothing behind and overwrites nothing.
/// </summary>
public static class ReferenceRunImport
{
    /// <summary>Imports the paper's run folder <paramref name="referenceDir"/> (its <c>state.pt</c>, or the kept model of <paramref name="step"/>) into a new run folder <paramref name="outDir"/>.</summary>
    /// <param name="referenceDir">The paper's run folder (its <c>config.yaml</c> and checkpoints).</param>
    /// <param name="step">Import the kept <c>model_&lt;step&gt;.pt</c> rather than <c>state.pt</c>.</param>
    /// <param name="outDir">The run folder to create: absent or empty, never overwritten.</param>
    public static ImportResult Import(string referenceDir, int? step, string outDir)
    {
        var target0 = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        // A folder that exists may be a run another process is writing: refuse it naming the holder.
        // The lock file is made only where the import may write (an empty folder); a folder that
        // holds files is refused below without a file added to it.
        var locked = File.Exists(Path.Combine(target0, RunLock.FileName))
                     || Directory.Exists(target0) && !Directory.EnumerateFileSystemEntries(target0).Any();
        using var hold = locked ? RunLock.Acquire(target0, "import") : null;
        return ImportUnlocked(referenceDir, step, target0);
    }

    static ImportResult ImportUnlocked(string referenceDir, int? step, string outDir)
    {
        var reference = new RunFolder(referenceDir);
        if (!Directory.Exists(reference.Path)) throw new InputException($"{reference.Path}: run folder not found");
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (File.Exists(target)) throw new InputException($"{target}: is a file; --out names the new run folder");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any(f => Path.GetFileName(f) != RunLock.FileName))
            throw new InputException($"{target}: already holds files; nothing overwritten (--out must be a new or empty folder)");

        var config = reference.LoadConfig();
        var source = step is { } k ? reference.ModelPath(k) : reference.StatePath;
        if (!File.Exists(source))
            throw new InputException($"{source}: checkpoint file not found" + (reference.KeptSteps() is { Count: > 0 } kept
                ? $" (kept models: steps {string.Join(", ", kept)}{(step == null ? "; import one with --step" : "")})"
                : ""));

        using var contents = PyTorchCheckpoint.Read(source);
        using var model = new InContextTransformer(config.Model);
        PyTorchCheckpoint.LoadModel(model, contents.Model, source);
        using var optimizer = torch.optim.Adam(model.parameters(), lr: config.Training.LearningRate);
        int trainStep;
        if (step is { } s) trainStep = s;
        else
        {
            trainStep = contents.TrainStep
                        ?? throw new InputException($"{source}: missing key train_step (a bare state dict; a kept model is imported with --step)");
            if (trainStep < 0) throw new InputException($"{source}: train_step: expected a step (0 or more), found {trainStep}");
            var adam = contents.Optimizer ?? throw new InputException($"{source}: missing key optimizer_state_dict (expected Adam's state)");
            AdamState.Load(model, optimizer, adam, source);
        }

        var run = WriteRunFolder(target, config, model, optimizer, trainStep);
        return new ImportResult(run, config, source, trainStep, AdamImported: step == null, PyTorchCheckpoint.NonFiniteTensors(model));
    }

    static RunFolder WriteRunFolder(string target, RunConfig config, InContextTransformer model, Adam optimizer, int trainStep)
    {
        var parent = Path.GetDirectoryName(target) ?? throw new InputException($"{target}: expected a folder below a parent");
        try { Directory.CreateDirectory(parent); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(parent, e); }
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.import-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            var staging = new RunFolder(temp);
            Directory.CreateDirectory(staging.Path);
            config.Save(staging.ConfigPath);
            PyTorchCheckpoint.WriteState(staging.StatePath, model, optimizer, trainStep);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true); // holds at most our lock file, checked above
            Directory.Move(temp, target);
        }
        catch (Exception e)
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            if (e is IOException or UnauthorizedAccessException) throw AtomicFile.StorageError(target, e);
            throw;
        }
        return new RunFolder(target);
    }
}
