using InContext.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Training;

public class FlatAdamTests
{
    /// <summary>Parameters of several shapes with a loss whose gradients differ per element.</summary>
    sealed class Problem : IDisposable
    {
        public readonly Parameter[] Parameters;
        public readonly Adam Adam;
        readonly Tensor[] _data;

        public Problem(int seed)
        {
            var g = new Generator((ulong)seed);
            long[][] shapes = { new long[] { 3, 4 }, new long[] { 5 }, new long[] { 2, 2, 2 } };
            Parameters = shapes.Select(s => new Parameter(randn(s, generator: g))).ToArray();
            _data = shapes.Select(s => randn(s, generator: new Generator(7))).ToArray();
            Adam = optim.Adam(Parameters, lr: 0.01);
        }

        public Tensor Loss(int step) =>
            Parameters.Zip(_data, (p, d) => (p * d * (step + 1)).sin().sum() + p.square().sum()).Aggregate((a, b) => a + b);

        public Adam.State State(int i) => (Adam.State)Adam.state_dict().State[i];

        public void Dispose() => Adam.Dispose();
    }

    static void AssertSameState(Problem a, Problem b)
    {
        for (var i = 0; i < a.Parameters.Length; i++)
        {
            Assert.True(a.Parameters[i].Same(b.Parameters[i]), $"parameter {i} differs");
            Assert.Equal(a.State(i).step, b.State(i).step);
            Assert.True(a.State(i).exp_avg.Same(b.State(i).exp_avg), $"exp_avg {i} differs");
            Assert.True(a.State(i).exp_avg_sq.Same(b.State(i).exp_avg_sq), $"exp_avg_sq {i} differs");
        }
    }

    /// <summary>Two copies of one problem, the first stepped by TorchSharp's Adam, the second by FlatAdam.</summary>
    sealed class Pair : IDisposable
    {
        public readonly Problem Plain, Flat;
        readonly FlatAdam _update;

        public Pair(int seed)
        {
            Plain = new Problem(seed);
            Flat = new Problem(seed);
            _update = new FlatAdam(Flat.Adam, Flat.Parameters);
        }

        /// <summary>Sets both optimizers' state for parameter <paramref name="i"/>, as loading a checkpoint does.</summary>
        public void SetState(int i, long step, double expAvg, double expAvgSq)
        {
            foreach (var problem in new[] { Plain, Flat })
            {
                var s = problem.State(i);
                s.step = step;
                s.exp_avg.copy_(full_like(s.exp_avg, expAvg));
                s.exp_avg_sq.copy_(full_like(s.exp_avg_sq, expAvgSq));
            }
        }

        public void StepBoth(int steps)
        {
            for (var step = 0; step < steps; step++)
            {
                Plain.Adam.zero_grad();
                Plain.Loss(step).backward();
                Plain.Adam.step();
                _update.ZeroGrad();
                Flat.Loss(step).backward();
                _update.Step();
                AssertSameState(Plain, Flat);
            }
        }

        public void Dispose()
        {
            _update.Dispose();
            Plain.Dispose();
            Flat.Dispose();
        }
    }

    [Fact]
    public void The_update_a_CUDA_graph_replays_is_Adams_to_float_rounding()
    {
        // StepOnDevice reads its bias corrections from a tensor (so a captured graph can replay it at
        // every step); here on the CPU, against TorchSharp's Adam, over 30 steps.
        using var plain = new Problem(3);
        using var flat = new Problem(3);
        using var update = new FlatAdam(flat.Adam, flat.Parameters);
        for (var step = 0; step < 30; step++)
        {
            plain.Adam.zero_grad();
            plain.Loss(step).backward();
            plain.Adam.step();
            using var scope = NewDisposeScope();   // as the trainer's steps run
            update.ZeroGrad();
            flat.Loss(step).backward();
            Assert.True(update.PrepareStepOnDevice());
            update.StepOnDevice();
        }
        for (var i = 0; i < plain.Parameters.Length; i++)
        {
            Assert.Equal(plain.State(i).step, flat.State(i).step);
            Assert.True(plain.Parameters[i].allclose(flat.Parameters[i], rtol: 1e-5, atol: 1e-6), $"parameter {i} drifted");
            Assert.True(plain.State(i).exp_avg_sq.allclose(flat.State(i).exp_avg_sq, rtol: 1e-5, atol: 1e-9));
        }
    }

    [Fact]
    public void Steps_exactly_as_TorchSharps_Adam()
    {
        using var pair = new Pair(1);
        AssertSameState(pair.Plain, pair.Flat);   // values kept when moved into the flat buffer
        pair.StepBoth(5);
        Assert.Equal(5, pair.Flat.State(0).step);
    }

    [Fact]
    public void Uses_a_state_loaded_into_the_optimizer()
    {
        using var pair = new Pair(2);
        for (var i = 0; i < pair.Flat.Parameters.Length; i++) pair.SetState(i, 7, 0.1 * (i + 1), 0.01 * (i + 1));
        // The learning rate too, set the way AdamState.Load sets it.
        foreach (var problem in new[] { pair.Plain, pair.Flat })
            ((Adam.Options)problem.Adam.state_dict().Options[0]).LearningRate = 0.05;
        pair.StepBoth(3);
        Assert.Equal(10, pair.Flat.State(0).step);
    }

    [Fact]
    public void Parameters_at_different_steps_get_their_own_bias_corrections()
    {
        using var pair = new Pair(3);
        pair.SetState(1, 4, 0.2, 0.03);
        pair.StepBoth(2);
        Assert.Equal(2, pair.Flat.State(0).step);
        Assert.Equal(6, pair.Flat.State(1).step);
    }

    [Fact]
    public void Gradients_set_to_none_between_steps_are_pointed_back_at_the_flat_buffer()
    {
        using var pair = new Pair(4);
        pair.StepBoth(2);
        foreach (var p in pair.Flat.Parameters) p.grad = null;   // what a module's zero_grad() does
        Assert.All(pair.Flat.Parameters, p => Assert.Null(p.grad));
        pair.StepBoth(2);
    }

    [Fact]
    public void Refuses_Adam_variants_it_does_not_compute_and_misordered_parameters()
    {
        var p = new Parameter(zeros(3));
        using var decay = optim.Adam(new[] { p }, weight_decay: 0.1);
        Assert.Throws<ArgumentException>(() => new FlatAdam(decay, new[] { p }));
        using var amsgrad = optim.Adam(new[] { p }, amsgrad: true);
        Assert.Throws<ArgumentException>(() => new FlatAdam(amsgrad, new[] { p }));
        // Parameters listed in another order than the optimizer's: each would get another's moments.
        using var problem = new Problem(5);
        Assert.Throws<ArgumentException>(() => new FlatAdam(problem.Adam, problem.Parameters.Reverse().ToArray()));
    }
}
