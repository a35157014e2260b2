using InContext.Config;
using InContext.Models;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Models;

public class InContextTransformerTests
{
    static readonly ModelConfig Tiny = new("gpt2", NDims: 4, NPositions: 9, NEmbd: 16, NLayer: 2, NHead: 2);

    [Fact]
    public void Parameter_names_and_shapes_match_the_papers_checkpoint_keys()
    {
        using var model = new InContextTransformer(Tiny);
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var (d, e, c) = (4L, 16L, 18L);
        var expected = new Dictionary<string, long[]>
        {
            ["_read_in.weight"] = new[] { e, d }, ["_read_in.bias"] = new[] { e },
            ["_backbone.wpe.weight"] = new[] { c, e },
            ["_backbone.ln_f.weight"] = new[] { e }, ["_backbone.ln_f.bias"] = new[] { e },
            ["_read_out.weight"] = new[] { 1, e }, ["_read_out.bias"] = new[] { 1L },
        };
        for (var i = 0; i < 2; i++)
        {
            var h = $"_backbone.h.{i}.";
            expected[h + "ln_1.weight"] = new[] { e }; expected[h + "ln_1.bias"] = new[] { e };
            expected[h + "attn.c_attn.weight"] = new[] { e, 3 * e }; expected[h + "attn.c_attn.bias"] = new[] { 3 * e };
            expected[h + "attn.c_proj.weight"] = new[] { e, e }; expected[h + "attn.c_proj.bias"] = new[] { e };
            expected[h + "ln_2.weight"] = new[] { e }; expected[h + "ln_2.bias"] = new[] { e };
            expected[h + "mlp.c_fc.weight"] = new[] { e, 4 * e }; expected[h + "mlp.c_fc.bias"] = new[] { 4 * e };
            expected[h + "mlp.c_proj.weight"] = new[] { 4 * e, e }; expected[h + "mlp.c_proj.bias"] = new[] { e };
        }
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (k, shape) in expected) Assert.Equal(shape, actual[k]);
    }

    [Fact]
    public void Initialisation_follows_GPT2()
    {
        manual_seed(3);
        var config = Tiny with { NEmbd = 128, NLayer = 4, NHead = 4 };
        using var model = new InContextTransformer(config);
        var p = model.state_dict();
        Assert.Equal(0.02, p["_backbone.h.0.attn.c_attn.weight"].std().ToDouble(), 3);
        Assert.Equal(0.02 / Math.Sqrt(8), p["_backbone.h.1.mlp.c_proj.weight"].std().ToDouble(), 3);
        Assert.Equal(0.02 / Math.Sqrt(8), p["_backbone.h.2.attn.c_proj.weight"].std().ToDouble(), 3);
        Assert.True(p["_backbone.h.0.ln_1.weight"].eq(1).all().ToBoolean());
        Assert.True(p["_backbone.h.0.mlp.c_fc.bias"].eq(0).all().ToBoolean());
        Assert.True(p["_backbone.ln_f.bias"].eq(0).all().ToBoolean());
        // read-in and read-out sit outside GPT-2: PyTorch's default Linear init, U(±1/sqrt(fan_in))
        var readIn = p["_read_in.weight"];
        Assert.True(readIn.abs().max().ToDouble() <= 1 / Math.Sqrt(4));
        Assert.InRange(readIn.std().ToDouble(), 0.5 / Math.Sqrt(3) * 0.8, 0.5 / Math.Sqrt(3) * 1.2);
    }

    [Fact]
    public void Interleaves_x_and_y_rows()
    {
        var xs = arange(12, dtype: float32).view(1, 3, 4);
        var ys = tensor(new float[] { -1, -2, -3 }).view(1, 3);
        var z = InContextTransformer.Combine(xs, ys);
        Assert.Equal(new long[] { 1, 6, 4 }, z.shape);
        Assert.True(z[0, 2].Same(xs[0, 1]));
        Assert.Equal(new float[] { -2, 0, 0, 0 }, z[0, 3].data<float>().ToArray());
    }

    [Fact]
    public void Is_causal_a_prediction_never_sees_later_points()
    {
        manual_seed(1);
        using var model = new InContextTransformer(Tiny);
        var xs = randn(3, 9, 4);
        var ys = randn(3, 9);
        var before = model.Predict(xs, ys);
        for (var i = 0; i < 9; i++)
        {
            // change every point after i, and y_i itself (the model must not see the answer it predicts)
            var xs2 = xs.clone();
            var ys2 = ys.clone();
            if (i + 1 < 9) xs2.narrow(1, i + 1, 9 - i - 1).add_(5);
            ys2.narrow(1, i, 9 - i).add_(7);
            var after = model.Predict(xs2, ys2);
            Assert.True(after.narrow(1, 0, i + 1).allclose(before.narrow(1, 0, i + 1), rtol: 1e-5, atol: 1e-6), $"prediction at or before {i} changed");
            if (i + 1 < 9) Assert.False(after.narrow(1, i + 1, 9 - i - 1).allclose(before.narrow(1, i + 1, 9 - i - 1)));
        }
    }

    [Fact]
    public void Refuses_prompts_longer_than_its_context()
    {
        using var model = new InContextTransformer(Tiny);
        var e = Assert.Throws<ArgumentException>(() => model.Predict(randn(1, 10, 4), randn(1, 10)));
        Assert.Contains("n_positions = 9", e.Message);
    }

    [Fact]
    public void Batched_query_prompts_equal_one_prompt_per_position()
    {
        manual_seed(2);
        using var model = new InContextTransformer(Tiny);
        var xs = randn(3, 9, 4);
        var ys = randn(3, 9);
        var queries = randn(3, 9, 4);
        var batched = model.PredictQueries(xs, ys, queries);
        var onePerPosition = ((InContext.IPredictor)new PerPositionOnly(model)).PredictQueries(xs, ys, queries);
        Assert.True(batched.allclose(onePerPosition, rtol: 1e-4, atol: 1e-5));
    }

    /// <summary>
    /// The reference the model must equal: every block run on every row, then the rows read.
    /// (The model skips the unread rows in its last block.)
    /// </summary>
    static Tensor AllRowsOutput(InContextTransformer model, Tensor rows, Tensor positions, Tensor? mask)
    {
        var x = model._read_in.forward(rows) + model._backbone.wpe.forward(positions);
        foreach (var block in model._backbone.h) x = block.forward(x, mask);
        return model._read_out.forward(model._backbone.ln_f.forward(x)).squeeze(-1);
    }

    [Fact]
    public void Computing_only_the_read_rows_in_the_last_block_changes_neither_outputs_nor_gradients()
    {
        manual_seed(4);
        using var model = new InContextTransformer(Tiny with { NLayer = 3 });
        var xs = randn(5, 9, 4);
        var ys = randn(5, 9);
        var z = InContextTransformer.Combine(xs, ys);
        var reference = AllRowsOutput(model, z, arange(18), null).index(TensorIndex.Colon, TensorIndex.Slice(0, null, 2));
        var referenceGrads = Gradients(model, reference.sub(ys).square().mean());
        var predictions = model.forward(xs, ys);
        Assert.Equal(new long[] { 5, 9 }, predictions.shape);
        Assert.True(predictions.allclose(reference, rtol: 1e-5, atol: 1e-6));
        var grads = Gradients(model, predictions.sub(ys).square().mean());
        foreach (var (name, g) in referenceGrads)
            Assert.True(grads[name].allclose(g, rtol: 1e-4, atol: 1e-7), $"gradient of {name} differs");

        // and with the query rows of PredictQueries (their own mask): query i read after the first i
        // pairs, as a prompt of its own run through every block on every row
        var queries = randn(5, 9, 4);
        var batched = model.PredictQueries(xs, ys, queries);
        using (no_grad())
            for (var i = 0; i < 9; i++)
            {
                var prompt = cat(new[] { InContextTransformer.Combine(xs.narrow(1, 0, i), ys.narrow(1, 0, i)), queries.narrow(1, i, 1) }, 1);
                var alone = AllRowsOutput(model, prompt, arange(2 * i + 1), null).select(1, 2 * i);
                Assert.True(batched.select(1, i).allclose(alone, rtol: 1e-5, atol: 1e-6), $"query {i}");
            }
    }

    [Fact]
    public void Many_queries_of_one_context_equal_one_prompt_per_query()
    {
        manual_seed(5);
        using var model = new InContextTransformer(Tiny);
        var xs = randn(3, 8, 4);
        var ys = randn(3, 8);
        var queries = randn(3, 6, 4);
        for (var k = 0; k <= 8; k++)
        {
            var (context, answers) = (xs.narrow(1, 0, k), ys.narrow(1, 0, k));
            var batched = ((InContext.IPredictor)model).PredictAtContext(context, answers, queries);
            var onePerQuery = ((InContext.IPredictor)new PerPositionOnly(model)).PredictAtContext(context, answers, queries);
            Assert.Equal(new long[] { 3, 6 }, batched.shape);
            Assert.True(batched.allclose(onePerQuery, rtol: 1e-4, atol: 1e-5), $"after {k} pairs");
        }
        // and the context's answers depend on the context: a different y changes them
        var moved = ((InContext.IPredictor)model).PredictAtContext(xs, ys + 3, queries);
        Assert.False(moved.allclose(((InContext.IPredictor)model).PredictAtContext(xs, ys, queries), rtol: 1e-3, atol: 1e-4));
        Assert.Throws<ArgumentException>(() => ((InContext.IPredictor)model).PredictAtContext(randn(1, 9, 4), randn(1, 9), queries.narrow(0, 0, 1)));
    }

    [Fact]
    public void Layer_states_are_the_residual_stream_at_the_query_and_end_in_its_prediction()
    {
        manual_seed(6);
        using var model = new InContextTransformer(Tiny with { NLayer = 3 });
        var xs = randn(4, 7, 4);
        var ys = randn(4, 7);
        using var _ = no_grad();
        var states = model.LayerStates(xs, ys);
        Assert.Equal(new long[] { 4, 4, 16 }, states.shape);   // embedding + 3 blocks, 4 prompts, n_embd 16
        // layer 0: the read-in of x_7 plus its position's embedding (row 12)
        var embedded = model._read_in.forward(xs.select(1, 6)) + model._backbone.wpe.weight![12];
        Assert.True(states[0].allclose(embedded, rtol: 1e-5, atol: 1e-6));
        // the last layer, through ln_f and the read-out, is the prediction at the last position
        var read = model._read_out.forward(model._backbone.ln_f.forward(states[3])).squeeze(-1);
        Assert.True(read.allclose(model.Predict(xs, ys).select(1, 6), rtol: 1e-4, atol: 1e-5));
        // and every block changes the stream
        for (var l = 1; l <= 3; l++) Assert.False(states[l].allclose(states[l - 1]));
    }

    static Dictionary<string, Tensor> Gradients(InContextTransformer model, Tensor loss)
    {
        model.zero_grad();
        loss.backward();
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    /// <summary>Hides the transformer's batched override, to get the interface's one-prompt-per-position default.</summary>
    sealed class PerPositionOnly(InContextTransformer model) : InContext.IPredictor
    {
        public string Name => "per_position";
        public string DisplayName => Name;
        public Tensor Predict(Tensor xs, Tensor ys) => model.Predict(xs, ys);
    }

    /// <summary>
    /// A seed's initial weights drawn from a generator of their own are the very ones manual_seed and
    /// the global generator give (every run trained before keeps its trajectory), and another
    /// thread drawing from the global generator meanwhile changes none of them.
    /// </summary>
    [Fact]
    public void A_seeds_initial_weights_come_from_their_own_generator_and_equal_the_global_ones()
    {
        var config = new InContext.Config.ModelConfig("gpt2", 5, 11, 32, 2, 2);
        InContextTransformer Global()
        {
            lock (typeof(InContextTransformerTests))
            {
                manual_seed(1234);
                return new InContextTransformer(config);
            }
        }
        using var global = Global();
        using var stop = new CancellationTokenSource();
        var noise = Task.Run(() => { while (!stop.IsCancellationRequested) using (randn(1000)) { } });
        try
        {
            for (var trial = 0; trial < 5; trial++)
            {
                using var own = new InContextTransformer(config, seed: 1234);
                var a = global.named_parameters().ToList();
                var b = own.named_parameters().ToList();
                for (var i = 0; i < a.Count; i++)
                    Assert.True(a[i].parameter.equal(b[i].parameter).all().item<bool>(), $"{a[i].name} differs");
            }
        }
        finally
        {
            stop.Cancel();
            noise.Wait();
        }
    }
}
