using System.Text.Json;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Interop;

/// <summary>The paper's architecture, checked against predictions computed by real PyTorch.</summary>
public class ReferenceFixtureTests
{
    static (Tensor xs, Tensor ys, JsonElement root) Prompt()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.ReferenceRun, "expected.json"))).RootElement;
        float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flat).ToArray() : new[] { e.GetSingle() };
        var b = root.GetProperty("xs").GetArrayLength();
        var n = root.GetProperty("xs")[0].GetArrayLength();
        var d = root.GetProperty("xs")[0][0].GetArrayLength();
        return (tensor(Flat(root.GetProperty("xs"))).view(b, n, d), tensor(Flat(root.GetProperty("ys"))).view(b, n), root);
    }

    [Theory]
    [InlineData("state.pt", "pred_state")]
    [InlineData("model_5.pt", "pred_model_5")]
    public void Reproduces_PyTorch_predictions_of_both_checkpoints(string file, string key)
    {
        var config = RunConfig.Load(Path.Combine(TestPaths.ReferenceRun, "config.yaml"));
        using var model = new InContextTransformer(config.Model);
        using var contents = PyTorchCheckpoint.Read(Path.Combine(TestPaths.ReferenceRun, file));
        PyTorchCheckpoint.LoadModel(model, contents.Model, contents.Path);
        var (xs, ys, root) = Prompt();
        var expected = root.GetProperty(key).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var predicted = model.Predict(xs, ys).data<float>().ToArray();
        Assert.Equal(expected.Length, predicted.Length);
        for (var i = 0; i < expected.Length; i++) Assert.InRange(predicted[i] - expected[i], -1e-5f, 1e-5f);
    }
}
