using System.Security.Cryptography;
using InContext.Config;
using InContext.Models;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Interop;

/// <summary>A run folder's checkpoints: the trained model, and a fingerprint that tells two checkpoints apart.</summary>
public static class Checkpoints
{
    /// <summary>
    /// Loads the run's trained model onto <paramref name="device"/> from <c>state.pt</c>, or from
    /// <c>model_&lt;step&gt;.pt</c> when a step is asked. Weights that are not finite (a diverged
    /// run) are refused: every prediction of such a model would be NaN.
    /// </summary>
    public static InContextTransformer LoadModel(this RunFolder run, Device? device = null, int? step = null)
    {
        var config = run.LoadConfig();
        var path = run.CheckpointPath(step);
        var model = new InContextTransformer(config.Model, device);
        try
        {
            using var contents = PyTorchCheckpoint.Read(path);
            PyTorchCheckpoint.LoadModel(model, contents.Model, path);
            if (PyTorchCheckpoint.NonFiniteTensors(model) is { Count: > 0 } bad)
                throw new InputException($"{path}: {bad.Count} of {model.parameters().Count()} weight tensors hold NaN or infinity (first: {bad[0]}); the run diverged before this checkpoint");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>The first 16 hex digits of the file's SHA-256: equal for the same checkpoint wherever it was copied.</summary>
    public static string Fingerprint(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }
    }
}
