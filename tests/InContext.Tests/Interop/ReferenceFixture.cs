using System.Collections;
using System.Text.Json;
using InContext.Config;
using InContext.Models;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Interop;

/// <summary>The run folder written by PyTorch 1.13: its prompt, its predictions, and altered copies of it.</summary>
static class ReferenceFixture
{
    public static string Dir => TestPaths.ReferenceRun;
    public static string StatePath => Path.Combine(Dir, "state.pt");
    public static RunConfig Config => RunConfig.Load(Path.Combine(Dir, "config.yaml"));

    static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement;

    /// <summary>The prompt: xs <c>[b, n, d]</c>, ys <c>[b, n]</c>.</summary>
    public static (Tensor xs, Tensor ys) Prompt()
    {
        var root = Expected();
        float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flat).ToArray() : new[] { e.GetSingle() };
        var b = root.GetProperty("xs").GetArrayLength();
        var n = root.GetProperty("xs")[0].GetArrayLength();
        var d = root.GetProperty("xs")[0][0].GetArrayLength();
        return (tensor(Flat(root.GetProperty("xs"))).view(b, n, d), tensor(Flat(root.GetProperty("ys"))).view(b, n));
    }

    /// <summary>Asserts that <paramref name="model"/> predicts PyTorch's <c>pred_state</c> or <c>pred_model_5</c> to 1e-5.</summary>
    public static void AssertPredicts(InContextTransformer model, string expectedKey)
    {
        var expected = Expected().GetProperty(expectedKey).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var (xs, ys) = Prompt();
        var predicted = model.Predict(xs, ys).data<float>().ToArray();
        Assert.Equal(expected.Length, predicted.Length);
        for (var i = 0; i < expected.Length; i++) Assert.InRange(predicted[i] - expected[i], -1e-5f, 1e-5f);
    }

    /// <summary>The raw pickled contents of one of the fixture's files (nested Hashtables of tensors).</summary>
    public static Hashtable Raw(string file = "state.pt") => PyTorchUnpickler.UnpickleStateDict(Path.Combine(Dir, file));

    /// <summary>A copy of the fixture in a fresh folder, with <paramref name="alter"/> applied to its <c>state.pt</c> contents.</summary>
    public static string CopyWith(Action<Hashtable>? alter = null)
    {
        var dir = TestPaths.TempDir();
        foreach (var f in Directory.GetFiles(Dir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        if (alter != null)
        {
            var state = Raw();
            alter(state);
            File.Delete(Path.Combine(dir, "state.pt"));
            using var stream = File.Create(Path.Combine(dir, "state.pt"));
            PyTorchPickler.PickleStateDict(stream, state);
        }
        return dir;
    }

    public static Hashtable ModelState(Hashtable state) => (Hashtable)state["model_state_dict"]!;
}
