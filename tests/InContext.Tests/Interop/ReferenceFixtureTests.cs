using InContext.Interop;
using InContext.Models;
using Xunit;

namespace InContext.Tests.Interop;

/// <summary>The paper's architecture, checked against predictions computed by real PyTorch.</summary>
public class ReferenceFixtureTests
{
    [Theory]
    [InlineData("state.pt", "pred_state")]
    [InlineData("model_5.pt", "pred_model_5")]
    public void Reproduces_PyTorch_predictions_of_both_checkpoints(string file, string key)
    {
        using var model = new InContextTransformer(ReferenceFixture.Config.Model);
        using var contents = PyTorchCheckpoint.Read(Path.Combine(ReferenceFixture.Dir, file));
        PyTorchCheckpoint.LoadModel(model, contents.Model, contents.Path);
        ReferenceFixture.AssertPredicts(model, key);
    }
}
