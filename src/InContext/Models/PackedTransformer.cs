using InContext.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>
/// Several <see cref="InContextTransformer"/>s of one shape (the seeds of one config) as one model:
/// each parameter stacked along a leading member dimension, <c>[members, ...]</c>, and every
/// projection a batched matrix product, so that N members cost one model's kernels, each N times
/// larger. Member i computes exactly what <see cref="InContextTransformer.forward"/> computes for
/// it alone: the same operations in the same order, only batched (each member with its own
/// LayerNorm weights, attention over its own prompts); nothing mixes members.
/// <para>
/// The stacked parameters start as copies of the members' weights (<see cref="Parameters"/>); a
/// trainer then points the members' own parameters at the stacked storage, so that checkpoints,
/// evaluation and export read each member as an ordinary model.
/// </para>
/// </summary>
public sealed class PackedTransformer : IDisposable
{
    readonly Dictionary<string, Parameter> _byName;
    readonly int _heads, _layers;

    /// <summary>The stacked parameters, in the members' <c>named_parameters()</c> order (which a member's optimizer state follows).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>The parameters' names, the members' own (<c>_backbone.h.0.attn.c_attn.weight</c>, ...), in <see cref="Parameters"/>' order.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>How many models are packed.</summary>
    public int Members { get; }
    /// <summary>The members' shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Stacks the weights of <paramref name="members"/> (all of one shape, on one device) into one packed model.</summary>
    public PackedTransformer(IReadOnlyList<InContextTransformer> members)
    {
        if (members.Count == 0) throw new ArgumentException("a pack needs at least one member", nameof(members));
        Config = members[0].Config;
        if (members.Any(m => m.Config != Config)) throw new ArgumentException("the members of a pack must have one shape");
        Members = members.Count;
        _heads = Config.NHead;
        _layers = Config.NLayer;
        var named = members.Select(m => m.named_parameters().ToList()).ToList();
        Names = named[0].Select(p => p.name).ToList();
        using var _ = no_grad();
        Parameters = Names.Select((name, j) => new Parameter(stack(named.Select(m => m[j].parameter).ToArray()))).ToList();
        _byName = Names.Zip(Parameters).ToDictionary(p => p.First, p => p.Second);
    }

    Parameter P(string name) => _byName[name];

    /// <summary>
    /// Predictions <c>[members, b, n]</c> for prompts xs <c>[members, b, n, d]</c>, ys <c>[members, b, n]</c>
    /// (already on the members' device): member i's prediction at point j from its first j pairs and x_j.
    /// </summary>
    public Tensor Forward(Tensor xs, Tensor ys)
    {
        var (m, b, n, d) = (xs.shape[0], xs.shape[1], xs.shape[2], xs.shape[3]);
        if (m != Members) throw new ArgumentException($"prompts for {m} members given to a pack of {Members}");
        if (n > Config.NPositions) throw new ArgumentException($"prompt has {n} points; the model was built for at most n_positions = {Config.NPositions}");
        if (d != Config.NDims) throw new ArgumentException($"prompt has {d} dims; the model expects n_dims = {Config.NDims}");
        using var scope = NewDisposeScope();
        var t = 2 * n;
        var z = InContextTransformer.Combine(xs.reshape(m * b, n, d), ys.reshape(m * b, n)).view(m, b * t, d);
        var embedded = Linear(z, "_read_in").view(m, b, t, -1);
        var x = embedded + P("_backbone.wpe.weight").narrow(1, 0, t).unsqueeze(1);
        var xRows = arange(0, t, 2, dtype: int64, device: xs.device);   // only the x rows' outputs are read
        for (var l = 0; l < _layers; l++) x = Block(l, x, l == _layers - 1 ? xRows : null);
        if (_layers == 0) x = x.index_select(2, xRows);
        x = LayerNorm(x, "_backbone.ln_f");
        var rows = x.shape[2];
        var output = Linear(x.view(m, b * rows, -1), "_read_out");   // [m, b·r, 1]
        return output.view(m, b, rows).MoveToOuterDisposeScope();
    }

    /// <summary>A <c>Linear</c> per member, <c>x @ Wᵀ + b</c> with W <c>[m, out, in]</c>: the bias added inside the product.</summary>
    Tensor Linear(Tensor x, string prefix) => AddBatchedProduct(P(prefix + ".bias").unsqueeze(1), x, P(prefix + ".weight").transpose(1, 2));

    /// <summary>GPT-2's Conv1D per member, <c>x @ W + b</c> with W <c>[m, in, out]</c>, on rows <c>[m, b, r, in]</c>.</summary>
    Tensor Conv1D(Tensor x, string prefix)
    {
        var (m, b, r) = (x.shape[0], x.shape[1], x.shape[2]);
        return AddBatchedProduct(P(prefix + ".bias").unsqueeze(1), x.reshape(m, b * r, x.shape[3]), P(prefix + ".weight")).view(m, b, r, -1);
    }

    /// <summary>
    /// <c>bias + x @ w</c> as one batched GEMM. TorchSharp 0.107's <c>baddbmm</c> hands its three
    /// tensors to libtorch rotated (<c>b1.baddbmm(b2, mat)</c> computes <c>mat + b1 @ b2</c>); a test
    /// pins this, so an update of TorchSharp that fixes it is caught there.
    /// </summary>
    internal static Tensor AddBatchedProduct(Tensor bias, Tensor x, Tensor w) => x.baddbmm(w, bias);

    /// <summary>LayerNorm per member: the plain normalisation, then each member's own scale and shift.</summary>
    Tensor LayerNorm(Tensor x, string prefix)
    {
        var shape = new long[] { Members, 1, 1, x.shape[3] };
        using var normed = nn.functional.layer_norm(x, [x.shape[3]], null, null, 1e-5);
        return addcmul(P(prefix + ".bias").view(shape), normed, P(prefix + ".weight").view(shape), 1);
    }

    /// <summary><see cref="GPT2Block"/> per member on x <c>[m, b, t, e]</c>; <paramref name="rows"/> as there.</summary>
    Tensor Block(int layer, Tensor x, Tensor? rows)
    {
        var h = $"_backbone.h.{layer}";
        var attended = Attention(h, LayerNorm(x, h + ".ln_1"), rows);
        x = (rows is null ? x : x.index_select(2, rows)) + attended;
        using var hidden = Conv1D(LayerNorm(x, h + ".ln_2"), h + ".mlp.c_fc");
        using var activated = GeluNew.Apply(hidden);
        return x + Conv1D(activated, h + ".mlp.c_proj");
    }

    /// <summary><see cref="CausalSelfAttention"/> per member: the members' prompts are one batch of m·b prompts to attention.</summary>
    Tensor Attention(string h, Tensor x, Tensor? rows)
    {
        var (m, b, t, e) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var qkv = Conv1D(x, h + ".attn.c_attn").view(m * b, t, 3, _heads, e / _heads).unbind(2);
        var (q, k, v) = (qkv[0].transpose(1, 2), qkv[1].transpose(1, 2), qkv[2].transpose(1, 2));   // [m·b, h, t, hd]
        Tensor? mask = null;
        if (rows is not null)
        {
            q = q.index_select(2, rows);
            mask = arange(t, dtype: int64, device: x.device).view(1, -1).le(rows.view(-1, 1));
        }
        var y = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        var r = q.shape[2];
        return Conv1D(y.transpose(1, 2).reshape(m, b, r, e), h + ".attn.c_proj");
    }

    /// <summary>Disposes the stacked parameters (the members' models stay their owners').</summary>
    public void Dispose()
    {
        foreach (var p in Parameters) p.Dispose();
    }
}
