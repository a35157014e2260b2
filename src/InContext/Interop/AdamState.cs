using System.Collections;
using InContext.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Interop;

/// <summary>
/// Adam's state in PyTorch's <c>optimizer.state_dict()</c> layout:
/// <c>{state: {index: {step, exp_avg, exp_avg_sq}}, param_groups: [{lr, betas, eps, ..., params}]}</c>,
/// where <c>index</c> is the parameter's position in <c>model.parameters()</c>. Our model lacks
/// the paper's unused <c>wte</c>, which sits right after the read-in, so the paper's indices are
/// ours shifted by one from there on. Written by hand (not PyBridge's <c>save_py</c>) because of
/// that remapping, and because the PyTorch 1.11 that wrote the paper's files stores <c>step</c>
/// as an integer where later versions store a tensor: both are accepted.
/// </summary>
public static class AdamState
{
    /// <summary>The paper's <c>model.parameters()</c> names: ours with <c>wte</c> after the read-in.</summary>
    public static List<string> ReferenceParameterOrder(InContextTransformer model)
    {
        var names = model.named_parameters().Select(p => p.name).ToList();
        names.Insert(names.IndexOf("_read_in.bias") + 1, PyTorchCheckpoint.TokenEmbeddingKey);
        return names;
    }

    static int[] FileIndices(InContextTransformer model, bool referenceLayout)
    {
        var ours = model.named_parameters().Select(p => p.name).ToList();
        if (!referenceLayout) return Enumerable.Range(0, ours.Count).ToArray();
        var reference = ReferenceParameterOrder(model);
        return ours.Select(n => reference.IndexOf(n)).ToArray();
    }

    /// <paramref name="optimizer"/>'s state as PyTorch's state dict, indexed in the paper's layout when <paramref name="referenceLayout"/>, else in ours.
    public static Hashtable ToTable(InContextTransformer model, Adam optimizer, bool referenceLayout)
    {
        var sd = optimizer.state_dict();
        var indices = FileIndices(model, referenceLayout);
        var state = new Hashtable();
        for (var i = 0; i < sd.State.Count; i++)
        {
            var s = (Adam.State)sd.State[i];
            if (s.step == 0) continue; // PyTorch keeps no state for parameters never stepped
            state[indices[i]] = new Hashtable
            {
                ["step"] = tensor((float)s.step),
                ["exp_avg"] = PyTorchCheckpoint.ForFile(s.exp_avg),
                ["exp_avg_sq"] = PyTorchCheckpoint.ForFile(s.exp_avg_sq),
            };
        }
        var o = (Adam.Options)sd.Options[0];
        var count = referenceLayout ? indices.Length + 1 : indices.Length;
        var group = new Hashtable
        {
            ["lr"] = o.LearningRate ?? 1e-3,
            ["betas"] = new object[] { o.beta1 ?? 0.9, o.beta2 ?? 0.999 },
            ["eps"] = o.eps ?? 1e-8,
            ["weight_decay"] = o.weight_decay ?? 0.0,
            ["amsgrad"] = o.amsgrad ?? false,
            ["maximize"] = o.maximize ?? false,
            ["foreach"] = null,
            ["capturable"] = false,
            ["differentiable"] = false,
            ["fused"] = null,
            ["params"] = new ArrayList(Enumerable.Range(0, count).ToArray()),
        };
        return new Hashtable { ["state"] = state, ["param_groups"] = new ArrayList { group } };
    }

    /// <summary>
    /// Restores moments and step counts into <paramref name="optimizer"/>; the file's layout
    /// (ours, or the paper's with <c>wte</c>) is told by its number of parameters.
    /// </summary>
    public static void Load(InContextTransformer model, Adam optimizer, Hashtable table, string path)
    {
        if (table["state"] is not Hashtable state || table["param_groups"] is not ArrayList { Count: > 0 } groups || groups[0] is not Hashtable group)
            throw new InputException($"{path}: optimizer_state_dict: expected Adam's state and param_groups");
        var ours = model.named_parameters().ToList();
        var fileCount = (group["params"] as ArrayList)?.Count ?? 0;
        var referenceLayout = fileCount == ours.Count + 1;
        if (!referenceLayout && fileCount != ours.Count)
            throw new InputException($"{path}: optimizer_state_dict: expected {ours.Count} parameters (or {ours.Count + 1} in the paper's layout), found {fileCount}");
        var indices = FileIndices(model, referenceLayout);
        var sd = optimizer.state_dict();
        using var _ = no_grad();
        for (var i = 0; i < ours.Count; i++)
        {
            if (state[indices[i]] is not Hashtable entry) continue;
            var s = (Adam.State)sd.State[i];
            var key = $"optimizer_state_dict.state.{indices[i]}";
            s.step = entry["step"] switch
            {
                Tensor t => (long)Math.Round(t.ToDouble()),
                int n => n,
                long n => n,
                double d => (long)Math.Round(d),
                var other => throw new InputException($"{path}: {key}.step: expected a number or a tensor, found {other?.GetType().Name ?? "nothing"}"),
            };
            CopyMoment(path, key, "exp_avg", entry, s.exp_avg, ours[i].name);
            CopyMoment(path, key, "exp_avg_sq", entry, s.exp_avg_sq, ours[i].name);
        }
        if (group["lr"] is double lr) foreach (var o in sd.Options) ((Adam.Options)o).LearningRate = lr;
    }

    static void CopyMoment(string path, string key, string name, Hashtable entry, Tensor target, string parameter)
    {
        if (entry[name] is not Tensor source)
            throw new InputException($"{path}: {key}.{name}: missing (for {parameter})");
        if (!source.shape.SequenceEqual(target.shape))
            throw new InputException($"{path}: {key}.{name}: expected shape [{string.Join(", ", target.shape)}] for {parameter}, found [{string.Join(", ", source.shape)}]");
        target.copy_(source);
    }
}
