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
    public readonly Parameter weight;
    public readonly Parameter bias;

    public Conv1D(int inFeatures, int outFeatures, Device? device = null) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inFeatures, outFeatures, device: device));
        bias = new Parameter(zeros(outFeatures, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x.matmul(weight).add_(bias);
}
