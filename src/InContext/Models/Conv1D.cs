using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>
/// GPT-2's "Conv1D" projection: weight <c>[in, out]</c>, <c>y = x @ W + b</c> — the transpose of
/// a Linear. Kept as is so our parameters have the same shapes as the paper's checkpoints.
/// </summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    /// <summary>The weight, <c>[in, out]</c>.</summary>
    public readonly Parameter weight;
    /// <summary>The bias, <c>[out]</c>.</summary>
    public readonly Parameter bias;

    /// <summary>A projection from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>; the weight is left uninitialised (the model initialises it) and the bias is 0.</summary>
    /// <param name="inFeatures">The input width.</param>
    /// <param name="outFeatures">The output width.</param>
    /// <param name="device">Where the parameters live (null: the CPU).</param>
    public Conv1D(int inFeatures, int outFeatures, Device? device = null) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inFeatures, outFeatures, device: device));
        bias = new Parameter(zeros(outFeatures, device: device));
        RegisterComponents();
    }

    /// <summary>One <c>addmm</c> on the rows flattened: the bias is added inside the GEMM instead
    /// of in a second pass over the output (same values, one memory pass less). The flat handles
    /// are disposed here so the output's memory is freed as soon as the caller drops the result,
    /// not when the caller's dispose scope ends.</summary>
    public override Tensor forward(Tensor x)
    {
        var shape = x.shape.ToArray();
        shape[^1] = weight.shape[1];
        using var rows = x.reshape(-1, x.shape[^1]);
        using var flat = addmm(bias, rows, weight, beta: 1, alpha: 1);
        return flat.view(shape);
    }
}
