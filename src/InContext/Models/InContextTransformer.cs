using InContext.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Models;

/// <summary>
/// The paper's <c>TransformerModel</c> : prompts <c>x_1, ỹ_1, x_2, ỹ_2, ...</c> are
/// interleaved into <c>2n</c> rows, read in by a Linear, passed through GPT-2, read out by a
/// Linear; the prediction for point <c>i</c> is the output at the row of <c>x_i</c>.
/// Parameter names match the paper's checkpoint keys (<c>_read_in.weight</c>,
/// <c>_backbone.h.0.attn.c_attn.weight</c>, ...), so its files load here and ours load there.
/// </summary>
public sealed class InContextTransformer : nn.Module<Tensor, Tensor, Tensor>, IPredictor
{
    /// <summary>The read-in: each row's <c>n_dims</c> values to <c>n_embd</c>.</summary>
    public readonly Linear _read_in;
    /// <summary>The GPT-2 backbone.</summary>
    public readonly GPT2Backbone _backbone;
    /// <summary>The read-out: each row's output to one prediction.</summary>
    public readonly Linear _read_out;

    /// <summary>The model's shape: dims, positions, width, layers, heads.</summary>
    public ModelConfig Config { get; }
    /// <summary>The device the model's weights are on.</summary>
    public Device Device { get; }

    /// <summary>
    /// Builds the model and draws its initial weights on the CPU, then moves it to
    /// <paramref name="device"/>: one seed gives the same initial model on every device. With
    /// <paramref name="seed"/> the weights come from a generator of their own seeded by it, exactly
    /// those <c>manual_seed(seed)</c> and the global generator give (the same draws in the same
    /// order), but out of reach of any other thread drawing from the global generator meanwhile;
    /// without one, from the global generator as it stands.
    /// </summary>
    public InContextTransformer(ModelConfig config, Device? device = null, long? seed = null) : base("InContextTransformer")
    {
        Config = config;
        Device = device ?? CPU;
        _read_in = nn.Linear(config.NDims, config.NEmbd);
        _backbone = new GPT2Backbone(2 * config.NPositions, config.NEmbd, config.NLayer, config.NHead, null);
        _read_out = nn.Linear(config.NEmbd, 1);
        RegisterComponents();
        using (var generator = seed is { } s ? new Generator((ulong)s) : null)
        {
            if (generator is not null) DefaultInitialization(generator);
            InitializeWeights(generator);
        }
        if (Device.type != DeviceType.CPU) this.to(Device);
    }

    /// <summary>
    /// The draws the modules' constructors make from the global generator, in their order, made
    /// again from <paramref name="generator"/>: PyTorch's default Linear (kaiming-uniform weight,
    /// uniform bias) for the read-in, N(0, 1) for the position embedding (then redrawn below), the
    /// read-out's Linear. TorchSharp's <c>nn.init</c> functions ignore a generator, hence the
    /// tensors' own <c>uniform_</c> and <c>normal_</c>, which run the same kernels.
    /// </summary>
    void DefaultInitialization(Generator generator)
    {
        using var _ = no_grad();
        void Linear(Linear layer)
        {
            var fanIn = (double)layer.weight!.shape[1];
            // torch::nn::init::kaiming_uniform_(a = sqrt(5)): gain / sqrt(fan_in), times sqrt(3), in this order
            var a = Math.Sqrt(5);
            var std = Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(fanIn);
            var bound = Math.Sqrt(3.0) * std;
            layer.weight.uniform_(-bound, bound, generator);
            var biasBound = 1 / Math.Sqrt(fanIn);
            layer.bias!.uniform_(-biasBound, biasBound, generator);
        }
        Linear(_read_in);
        _backbone.wpe.weight!.normal_(0, 1, generator);
        Linear(_read_out);
    }

    /// <summary>The transformer's id in metrics.json and <c>--models</c>.</summary>
    public const string Id = "transformer";

    /// <inheritdoc/>
    public string Name => Id;
    /// <inheritdoc/>
    public string DisplayName => "Transformer";

    /// <summary>
    /// GPT-2's initialisation of the backbone, as Hugging Face's <c>GPT2Model</c> applies it to its
    /// own modules: weights <c>N(0, 0.02)</c>, biases 0, LayerNorm 1/0, and every
    /// <c>c_proj.weight</c> <c>N(0, 0.02/sqrt(2·n_layer))</c>. The read-in and read-out are plain
    /// <c>nn.Linear</c>s of the paper's <c>TransformerModel</c>, outside the backbone, so they keep
    /// PyTorch's default Linear initialisation (which TorchSharp shares).
    /// </summary>
    void InitializeWeights(Generator? generator)
    {
        using var _ = no_grad();
        var projectionStd = 0.02 / Math.Sqrt(2.0 * Config.NLayer);
        foreach (var (name, p) in _backbone.named_parameters())
        {
            if (name.EndsWith("c_proj.weight")) p.normal_(0, projectionStd, generator);
            else if (name.Contains("ln_") && name.EndsWith(".weight")) nn.init.ones_(p);
            else if (name.EndsWith(".bias") || name.EndsWith("bias")) nn.init.zeros_(p);
            else p.normal_(0, 0.02, generator);
        }
    }

    /// <summary>
    /// Interleaves xs <c>[b, n, d]</c> and ys <c>[b, n]</c> into <c>[b, 2n, d]</c> rows
    /// <c>x_1, (y_1, 0, …, 0), x_2, …</c>.
    /// </summary>
    public static Tensor Combine(Tensor xs, Tensor ys)
    {
        var (b, n, d) = (xs.shape[0], xs.shape[1], xs.shape[2]);
        using var ysWide = cat(new[] { ys.unsqueeze(2), zeros(b, n, d - 1, dtype: xs.dtype, device: xs.device) }, 2);
        return stack(new[] { xs, ysWide }, 2).view(b, 2 * n, d);
    }

    /// <summary>Predictions <c>[b, n]</c>: at point <c>i</c>, from the first <c>i</c> pairs and <c>x_i</c>.</summary>
    public override Tensor forward(Tensor xs, Tensor ys)
    {
        Check(xs);
        using var scope = NewDisposeScope();
        var z = Combine(xs.to(Device), ys.to(Device));
        var t = z.shape[1];
        var positions = arange(t, dtype: int64, device: Device);
        var xRows = arange(0, t, 2, dtype: int64, device: Device);   // only the x rows' outputs are read
        var output = _read_out.forward(_backbone.forward(_read_in.forward(z), positions, null, xRows));
        return output.squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>Evaluation-mode prediction without gradients, as an <see cref="IPredictor"/>.</summary>
    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var _ = no_grad();
        return forward(xs, ys);
    }

    /// <summary>
    /// Every position's query in one pass. Prompt <c>i</c> of the paper's evaluator is the first
    /// <c>i</c> pairs then query <c>i</c>; since the model is causal, those pairs' hidden states
    /// are the same in every such prompt. So the query rows are appended after the <c>2n</c>
    /// rows of the plain prompt, each at its own position id <c>2i</c> and allowed to attend only
    /// to the rows before <c>2i</c> and to itself: one forward pass of <c>3n</c> rows replaces
    /// <c>n</c> passes of up to <c>2n</c>.
    /// </summary>
    public Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Check(xs);
        var sees = arange(0, 2 * xs.shape[1], 2, dtype: int64, device: Device);   // query i: rows before 2i, at position 2i
        return ReadQueries(Combine(xs.to(Device), ys.to(Device)), queries.to(Device), sees).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Many queries of one context in one pass (<see cref="IPredictor.PredictAtContext"/>): the
    /// <c>M</c> query rows follow the context's <c>2k</c> rows, each at position id <c>2k</c> (where
    /// the query of a prompt of those pairs would stand) and attending to all <c>2k</c> context rows
    /// and itself, so each answer equals that of its own prompt of <c>k</c> pairs then the query.
    /// </summary>
    public Tensor PredictAtContext(Tensor xs, Tensor ys, Tensor queries)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var k = xs.shape[1];
        if (k + 1 > Config.NPositions)
            throw new ArgumentException($"a context of {k} pairs and a query is {k + 1} points; the model was built for at most n_positions = {Config.NPositions}");
        if (xs.shape[2] != Config.NDims) throw new ArgumentException($"prompt has {xs.shape[2]} dims; the model expects n_dims = {Config.NDims}");
        var sees = full(queries.shape[1], 2 * k, dtype: int64, device: Device);
        return ReadQueries(Combine(xs.to(Device), ys.to(Device)), queries.to(Device), sees).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The read-out at query rows appended after the context's rows <paramref name="context"/>
    /// <c>[b, t, d]</c> (already interleaved): query m (<paramref name="queries"/> <c>[b, M, d]</c>)
    /// stands at position id <c>sees[m]</c> and attends to the context rows before it and to itself;
    /// the context rows are causal among themselves. <c>[b, M]</c>.
    /// </summary>
    Tensor ReadQueries(Tensor context, Tensor queries, Tensor sees)
    {
        var (t, m) = (context.shape[1], queries.shape[1]);
        var rows = cat(new[] { context, queries.to(context.dtype) }, 1);
        var positions = cat(new[] { arange(t, dtype: int64, device: Device), sees }, 0);
        // mask[r, c]: context row r sees c ≤ r; query row sees the context rows c < sees and itself
        var r = arange(t + m, dtype: int64, device: Device).view(-1, 1);
        var c = arange(t + m, dtype: int64, device: Device).view(1, -1);
        var limit = cat(new[] { arange(1, t + 1, dtype: int64, device: Device), sees }, 0).view(-1, 1);
        var mask = c.lt(limit).logical_and(c.lt(t)).logical_or(c.eq(r));
        var queryRows = arange(t, t + m, dtype: int64, device: Device);
        return _read_out.forward(_backbone.forward(_read_in.forward(rows), positions, mask, queryRows)).squeeze(-1);
    }

    /// <summary>
    /// The residual stream at the last query of each prompt (the row of <c>x_n</c>, read after the
    /// first <c>n − 1</c> pairs), after the read-in and position embedding (layer 0) and after each
    /// block (layers 1 to n_layer, the last before the final LayerNorm): <c>[n_layer + 1, b, n_embd]</c>,
    /// for linear probes. A forward pass of its own, without gradients: the training path is untouched.
    /// </summary>
    public Tensor LayerStates(Tensor xs, Tensor ys)
    {
        using var _ = no_grad();
        Check(xs);
        using var scope = NewDisposeScope();
        var n = xs.shape[1];
        var rows = Combine(xs.to(Device), ys.to(Device)).narrow(1, 0, 2 * n - 1);   // the last y is after the query: never read
        var states = _backbone.HiddenStates(_read_in.forward(rows), arange(2 * n - 1, dtype: int64, device: Device));
        return stack(states.Select(h => h.select(1, 2 * n - 2)).ToArray()).MoveToOuterDisposeScope();
    }

    void Check(Tensor xs)
    {
        if (xs.shape[1] > Config.NPositions)
            throw new ArgumentException($"prompt has {xs.shape[1]} points; the model was built for at most n_positions = {Config.NPositions}");
        if (xs.shape[2] != Config.NDims)
            throw new ArgumentException($"prompt has {xs.shape[2]} dims; the model expects n_dims = {Config.NDims}");
    }
}
