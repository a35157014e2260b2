using System.Collections;
using InContext.Config;
using InContext.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Interop;

/// <summary>What a PyTorch checkpoint holds once read: a model state dict, and for a
/// training state (<c>state.pt</c>) the Adam state and the step.</summary>
public sealed class CheckpointContents : IDisposable
{
    /// <summary>The model's state dict: tensor by key.</summary>
    public required Dictionary<string, Tensor> Model { get; init; }
    /// <summary>Adam's state dict as read (<see cref="AdamState"/>'s layout); null for a bare model file.</summary>
    public Hashtable? Optimizer { get; init; }
    /// <summary>Index of the last completed step (the paper's <c>train_step</c>).</summary>
    public int? TrainStep { get; init; }
    /// <summary>The file read, for errors.</summary>
    public required string Path { get; init; }

    /// <summary>Disposes the model's tensors.</summary>
    public void Dispose() { foreach (var t in Model.Values) t.Dispose(); }
}

/// <summary>
/// Reads and writes the paper's checkpoint files (<c>torch.save</c>: zip + pickle) through
/// TorchSharp.PyBridge, and maps between the paper's state dict and our model: the paper's
/// keys carry an unused token embedding <c>_backbone.wte.weight</c> and two attention buffers
/// per layer (<c>attn.bias</c>, <c>attn.masked_bias</c>), which our model does not have.
/// Every write goes to a temporary file that is renamed into place, so a crash at any moment
/// leaves the previous file intact.
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>The key of the paper's unused token embedding.</summary>
    public const string TokenEmbeddingKey = "_backbone.wte.weight";

    /// <summary>GPT-2's vocabulary: the rows of the paper's unused <c>wte</c> (GPT2Config's default).</summary>
    public const int Gpt2VocabularySize = 50257;

    /// <summary>transformers' <c>masked_bias</c> buffer: <c>torch.tensor(-1e4)</c>.</summary>
    public const float MaskedBiasValue = -10000f;

    /// <summary>
    /// The keys of the paper's state dict that our model lacks, with the shape and dtype
    /// transformers 4.17 saves them with: <c>wte</c> <c>[50257, n_embd]</c> float32, and per layer
    /// the causal mask <c>attn.bias</c> <c>[1, 1, C, C]</c> uint8 (C = 2·n_positions) and the
    /// scalar <c>attn.masked_bias</c> float32.
    /// </summary>
    public static IEnumerable<(string Key, long[] Shape, ScalarType Type)> ReferenceOnlyKeys(ModelConfig config)
    {
        yield return (TokenEmbeddingKey, [Gpt2VocabularySize, config.NEmbd], ScalarType.Float32);
        var context = 2L * config.NPositions;
        for (var i = 0; i < config.NLayer; i++)
        {
            yield return ($"_backbone.h.{i}.attn.bias", [1, 1, context, context], ScalarType.Byte);
            yield return ($"_backbone.h.{i}.attn.masked_bias", [], ScalarType.Float32);
        }
    }

    /// <summary>The value the paper's model holds under a <see cref="ReferenceOnlyKeys"/> key (<c>wte</c> as zeros: it is never used).</summary>
    public static Tensor ReferenceOnlyValue(string key, long[] shape) =>
        key == TokenEmbeddingKey ? zeros(shape, float32)
        : key.EndsWith(".attn.masked_bias") ? tensor(MaskedBiasValue)
        : ones(shape[2], shape[3], ScalarType.Byte).tril().view(shape);

    /// <summary>A shape as errors print it, e.g. <c>[1, 1, 82, 82]</c>.</summary>
    public static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Reads a <c>state.pt</c> (training state) or a <c>model_&lt;step&gt;.pt</c> (bare state dict).</summary>
    public static CheckpointContents Read(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: checkpoint file not found");
        if (!StartsLikeZip(path))
            throw new InputException($"{path}: not a PyTorch checkpoint (expected torch.save's zip format, as PyTorch 1.6 and later write it)");
        Hashtable root;
        // PyBridge builds each tensor as torch.empty(...).as_strided(...): outside a dispose scope
        // nothing holds the empty tensor, and the GC may finalize it while as_strided still reads
        // it (TorchSharp passes only its handle), a crash caught in the tests. The scope holds
        // every temporary until the tensors read are moved out; it frees the rest.
        using (var scope = NewDisposeScope())
        {
            try
            {
                root = PyTorchUnpickler.UnpickleStateDict(path);
            }
            catch (Exception e) when (e is not InputException)
            {
                throw new InputException($"{path}: not a readable PyTorch checkpoint ({FirstLine(e.Message)})", e);
            }
            scope.MoveToOuter(TensorsIn(root));
        }
        if (root.ContainsKey("model_state_dict"))
        {
            var model = ToTensorDictionary(path, "model_state_dict", root["model_state_dict"]);
            var optimizer = root["optimizer_state_dict"] as Hashtable;
            int? step = root["train_step"] switch
            {
                int i => CheckpointStep.Checked(path, i),
                long l => CheckpointStep.Checked(path, l),
                Tensor t => CheckpointStep.Checked(path, t.ToInt64()),
                null => null,
                var other => throw new InputException($"{path}: train_step: expected an integer, found {other.GetType().Name}"),
            };
            return new CheckpointContents { Model = model, Optimizer = optimizer, TrainStep = step, Path = path };
        }
        return new CheckpointContents { Model = ToTensorDictionary(path, "", root), Path = path };
    }

    /// <summary>Every tensor in an unpickled object tree (dicts, lists, tuples), each container visited once (a pickle may make one hold itself).</summary>
    static List<Tensor> TensorsIn(object root)
    {
        var tensors = new List<Tensor>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([root]);
        while (pending.TryPop(out var value))
        {
            if (value is Tensor t) tensors.Add(t);
            else if (value is IEnumerable items and not string && seen.Add(value))
                foreach (var item in value is IDictionary dict ? dict.Values : items) pending.Push(item);
        }
        return tensors;
    }

    static Dictionary<string, Tensor> ToTensorDictionary(string path, string key, object? value)
    {
        if (value is not IDictionary dict)
            throw new InputException($"{path}: {(key.Length > 0 ? key + ": " : "")}expected a state dict of tensors");
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in dict)
        {
            if (e.Value is not Tensor t)
                throw new InputException($"{path}: {e.Key}: expected a tensor, found {e.Value?.GetType().Name ?? "null"}");
            result[(string)e.Key] = t;
        }
        return result;
    }

    /// <summary>
    /// Loads a state dict (ours, or the paper's with its <see cref="ReferenceOnlyKeys"/>) into
    /// the model: every parameter must be present with the model's shape; a file that carries
    /// any of the paper's extra keys must carry all of them with the config's shapes; any other
    /// key is refused. Errors name the file, the key, and the expected versus found shape.
    /// </summary>
    public static void LoadModel(InContextTransformer model, Dictionary<string, Tensor> state, string path)
    {
        var parameters = model.state_dict();
        var referenceOnly = ReferenceOnlyKeys(model.Config).ToDictionary(k => k.Key, k => k.Shape);
        foreach (var key in state.Keys)
            if (!parameters.ContainsKey(key) && !referenceOnly.ContainsKey(key))
                throw new InputException($"{path}: unexpected key {key} (not a parameter of the model, found shape {Shape(state[key].shape)})");
        var expected = parameters.Select(p => (p.Key, p.Value.shape)).ToList();
        if (state.Keys.Any(referenceOnly.ContainsKey))
            expected.AddRange(referenceOnly.Select(r => (r.Key, r.Value)));
        foreach (var (key, shape) in expected)
        {
            if (!state.TryGetValue(key, out var value))
                throw new InputException($"{path}: missing key {key} (expected shape {Shape(shape)})");
            if (!value.shape.SequenceEqual(shape))
                throw new InputException($"{path}: {key}: expected shape {Shape(shape)} for the config, found {Shape(value.shape)}");
        }
        using var _ = no_grad();
        foreach (var (key, p) in parameters) p.copy_(state[key]);
    }

    /// <summary>
    /// A tensor as the pickler needs it: on the CPU, detached, with storage of its own. The pickler
    /// writes the tensor's bytes but its storage offset, so a view into a larger buffer (training
    /// keeps parameters and Adam's moments in flat buffers, see <c>FlatAdam</c>) is copied out.
    /// </summary>
    public static Tensor ForFile(Tensor t) => t.detach().cpu().clone();

    /// <summary>Our model's state dict, as a Hashtable the pickler writes (tensors on CPU).</summary>
    public static Hashtable ModelStateTable(InContextTransformer model)
    {
        var table = new Hashtable();
        foreach (var (key, p) in model.state_dict()) table[key] = ForFile(p);
        return table;
    }

    /// <summary>
    /// Our model's state dict in the paper's layout, with its <see cref="ReferenceOnlyKeys"/>:
    /// the paper's <c>TransformerModel.load_state_dict(strict=True)</c> accepts it.
    /// </summary>
    public static Hashtable ReferenceModelStateTable(InContextTransformer model)
    {
        var table = ModelStateTable(model);
        foreach (var (key, shape, _) in ReferenceOnlyKeys(model.Config)) table[key] = ReferenceOnlyValue(key, shape);
        return table;
    }

    /// <summary>Writes a bare model state dict (<c>model_&lt;step&gt;.pt</c>).</summary>
    public static void WriteModel(string path, InContextTransformer model)
    {
        // The scope frees the copies written (and holds each temporary until its native call is done).
        using var scope = NewDisposeScope();
        WriteAtomically(path, ModelStateTable(model));
    }

    /// <summary>Writes a training state (<c>state.pt</c>) in the paper's layout.</summary>
    public static void WriteState(string path, InContextTransformer model, Adam optimizer, int trainStep)
    {
        using var scope = NewDisposeScope();
        WriteAtomically(path, new Hashtable
        {
            ["model_state_dict"] = ModelStateTable(model),
            ["optimizer_state_dict"] = AdamState.ToTable(model, optimizer, referenceLayout: false),
            ["train_step"] = trainStep,
        });
    }

    /// <summary>Pickles <paramref name="table"/> to <paramref name="path"/> as <c>torch.save</c> does, whole or not at all.</summary>
    public static void WriteAtomically(string path, Hashtable table) =>
        AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, table, leaveOpen: true));

    /// <summary>The names of the model's parameters that hold NaN or infinity (a diverged run's).</summary>
    public static List<string> NonFiniteTensors(InContextTransformer model)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();   // holds isfinite's result while all() reads it
        return model.named_parameters().Where(p => !p.parameter.isfinite().all().item<bool>()).Select(p => p.name).ToList();
    }

    /// <summary>torch.save writes a zip archive: its first local file header starts with "PK\x03\x04".</summary>
    static bool StartsLikeZip(string path)
    {
        Span<byte> head = stackalloc byte[4];
        try
        {
            using var f = File.OpenRead(path);
            return f.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\x03\x04"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot be read ({FirstLine(e.Message)})", e);
        }
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
