using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>
/// The GPT-2 backbone fed with <c>inputs_embeds</c>: learned position embeddings <c>wpe</c>,
/// <c>n_layer</c> blocks <c>h</c>, final <c>ln_f</c>. No dropout. The token embedding
/// <c>wte</c> of Hugging Face's model is never used on embeddings, so it is left out.
/// </summary>
public sealed class GPT2Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>The learned position embeddings, one per row of the interleaved prompt.</summary>
    public readonly Embedding wpe;
    /// <summary>The transformer blocks, in order.</summary>
    public readonly ModuleList<GPT2Block> h;
    /// <summary>The final LayerNorm.</summary>
    public readonly LayerNorm ln_f;

    /// <summary>A backbone of <paramref name="nLayer"/> blocks over at most <paramref name="context"/> rows.</summary>
    /// <param name="context">The most rows (positions) it reads: twice the prompt's points.</param>
    /// <param name="nEmbd">The embedding width.</param>
    /// <param name="nLayer">The number of blocks.</param>
    /// <param name="nHead">Attention heads per block.</param>
    /// <param name="device">Where the parameters live (null: the CPU).</param>
    public GPT2Backbone(int context, int nEmbd, int nLayer, int nHead, Device? device) : base("backbone")
    {
        wpe = nn.Embedding(context, nEmbd, device: device);
        h = new ModuleList<GPT2Block>(Enumerable.Range(0, nLayer).Select(_ => new GPT2Block(nEmbd, nHead, device)).ToArray());
        ln_f = nn.LayerNorm(nEmbd, eps: 1e-5, device: device);
        RegisterComponents();
    }

    /// <summary>Causal attention over all rows at positions 0, 1, ...: <c>[b, t, e]</c> embeddings to <c>[b, t, e]</c> outputs.</summary>
    public override Tensor forward(Tensor embeddings)
    {
        using var positions = arange(embeddings.shape[1], dtype: int64, device: embeddings.device);
        return forward(embeddings, positions, null);
    }

    /// <summary>
    /// With explicit position ids <c>[t]</c> and attention mask <c>[t, t]</c> (null: causal).
    /// <paramref name="rows"/> (null: all) picks the rows <c>[r]</c> whose outputs are returned,
    /// <c>[b, r, e]</c>. Nothing reads the other rows of the last block, so that block computes
    /// only the picked rows' queries, projections and MLP: the same outputs, less work.
    /// </summary>
    public Tensor forward(Tensor embeddings, Tensor positions, Tensor? mask, Tensor? rows = null)
    {
        var x = embeddings + wpe.forward(positions);
        for (var i = 0; i < h.Count; i++) x = h[i].forward(x, mask, i == h.Count - 1 ? rows : null);
        return ln_f.forward(rows is not null && h.Count == 0 ? x.index_select(1, rows) : x);
    }

    /// <summary>
    /// Every row's residual stream under causal attention, <c>[b, t, e]</c> each: the embeddings with
    /// their positions added, then after each block (before <c>ln_f</c>); <c>n_layer + 1</c> tensors.
    /// </summary>
    public Tensor[] HiddenStates(Tensor embeddings, Tensor positions)
    {
        var states = new Tensor[h.Count + 1];
        states[0] = embeddings + wpe.forward(positions);
        for (var i = 0; i < h.Count; i++) states[i + 1] = h[i].forward(states[i], null);
        return states;
    }
}
