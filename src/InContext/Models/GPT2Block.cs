using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>GPT-2's causal self-attention: fused <c>c_attn</c> (q, k, v) and output <c>c_proj</c>.</summary>
public sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    /// <summary>The fused query, key and value projection, <c>[e, 3e]</c>.</summary>
    public readonly Conv1D c_attn;
    /// <summary>The output projection, <c>[e, e]</c>.</summary>
    public readonly Conv1D c_proj;
    readonly int _heads;

    /// <summary>Attention of width <paramref name="nEmbd"/> split over <paramref name="nHead"/> heads.</summary>
    /// <param name="nEmbd">The embedding width (a multiple of the heads).</param>
    /// <param name="nHead">The number of heads.</param>
    /// <param name="device">Where the parameters live (null: the CPU).</param>
    public CausalSelfAttention(int nEmbd, int nHead, Device? device) : base("attn")
    {
        c_attn = new Conv1D(nEmbd, 3 * nEmbd, device);
        c_proj = new Conv1D(nEmbd, nEmbd, device);
        _heads = nHead;
        RegisterComponents();
    }

    /// <summary>Causal attention over every row.</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>Causal (or masked) attention of <paramref name="x"/>, <c>[b, t, e]</c>.</summary>
    /// <param name="x">The rows' inputs, <c>[b, t, e]</c>.</param>
    /// <param name="mask">null for causal attention; else <c>[t, t]</c> booleans, true where a row may attend.</param>
    /// <param name="rows">null for every row's output; else the rows <c>[r]</c> whose outputs are wanted
    /// (<c>[b, r, e]</c>): only their queries are computed, against the keys and values of all rows.</param>
    public Tensor forward(Tensor x, Tensor? mask, Tensor? rows = null)
    {
        var (b, t, e) = (x.shape[0], x.shape[1], x.shape[2]);
        // unbind, not three index selects: its backward stacks the three gradients in one copy,
        // where each select's backward would zero a full [b, t, 3, h, hd] gradient and add them up.
        var qkv = c_attn.forward(x).view(b, t, 3, _heads, e / _heads).unbind(2);   // 3 × [b, t, h, hd]
        var (q, k, v) = (qkv[0].transpose(1, 2), qkv[1].transpose(1, 2), qkv[2].transpose(1, 2));   // [b, h, t, hd]
        if (rows is not null)
        {
            q = q.index_select(2, rows);
            // The mask's rows are the chosen rows' (causal: row r sees columns 0..r).
            mask = mask?.index_select(0, rows) ?? arange(t, dtype: int64, device: x.device).view(1, -1).le(rows.view(-1, 1));
        }
        // Scores are scaled by 1/sqrt(head dim), as GPT-2 does; the causal flag masks the future.
        var y = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        return c_proj.forward(y.transpose(1, 2).reshape(b, q.shape[2], e));
    }
}

/// <summary>GPT-2's MLP: <c>c_fc</c> (4·n_embd) → GELU (tanh approximation, "gelu_new") → <c>c_proj</c>.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    /// <summary>The expansion to 4·n_embd.</summary>
    public readonly Conv1D c_fc;
    /// <summary>The projection back to n_embd.</summary>
    public readonly Conv1D c_proj;

    /// <summary>The MLP of width <paramref name="nEmbd"/>.</summary>
    /// <param name="nEmbd">The embedding width.</param>
    /// <param name="device">Where the parameters live (null: the CPU).</param>
    public Mlp(int nEmbd, Device? device) : base("mlp")
    {
        c_fc = new Conv1D(nEmbd, 4 * nEmbd, device);
        c_proj = new Conv1D(4 * nEmbd, nEmbd, device);
        RegisterComponents();
    }

    /// <summary><c>c_proj(gelu_new(c_fc(x)))</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        // c_fc's output (4·n_embd wide, the block's largest activation) is not needed by backward
        // (GeluNew keeps its derivative instead), so it is freed here rather than at the step's end.
        using var hidden = c_fc.forward(x);
        using var activated = GeluNew.Apply(hidden);
        return c_proj.forward(activated);
    }
}

/// <summary>One pre-LayerNorm GPT-2 block: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>.</summary>
public sealed class GPT2Block : nn.Module<Tensor, Tensor>
{
    /// <summary>The LayerNorm before attention.</summary>
    public readonly LayerNorm ln_1;
    /// <summary>The causal self-attention.</summary>
    public readonly CausalSelfAttention attn;
    /// <summary>The LayerNorm before the MLP.</summary>
    public readonly LayerNorm ln_2;
    /// <summary>The MLP.</summary>
    public readonly Mlp mlp;

    /// <summary>A block of width <paramref name="nEmbd"/> with <paramref name="nHead"/> attention heads.</summary>
    /// <param name="nEmbd">The embedding width.</param>
    /// <param name="nHead">The number of attention heads.</param>
    /// <param name="device">Where the parameters live (null: the CPU).</param>
    public GPT2Block(int nEmbd, int nHead, Device? device) : base("block")
    {
        ln_1 = nn.LayerNorm(nEmbd, eps: 1e-5, device: device);
        attn = new CausalSelfAttention(nEmbd, nHead, device);
        ln_2 = nn.LayerNorm(nEmbd, eps: 1e-5, device: device);
        mlp = new Mlp(nEmbd, device);
        RegisterComponents();
    }

    /// <summary>The block with causal attention over every row.</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>The block on <paramref name="x"/>, <c>[b, t, e]</c>.</summary>
    /// <param name="x">The rows' inputs, <c>[b, t, e]</c>.</param>
    /// <param name="mask">null for causal attention; else <c>[t, t]</c> booleans, true where a row may attend.</param>
    /// <param name="rows">null for every row's output; else only rows <c>[r]</c>'s, <c>[b, r, e]</c>.
    /// Every row after the attention is computed on its own, so the other rows are skipped there.</param>
    public Tensor forward(Tensor x, Tensor? mask, Tensor? rows = null)
    {
        var attended = attn.forward(ln_1.forward(x), mask, rows);
        x = (rows is null ? x : x.index_select(1, rows)) + attended;
        return x + mlp.forward(ln_2.forward(x));
    }
}
