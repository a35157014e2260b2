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

    /// <summary>Steps both problems, the first with TorchSharp's Adam, the second with FlatAdam.</summary>
    static void StepBoth(Problem plain, Problem flat, FlatAdam update, int steps)
    {
        for (var step = 0; step < steps; step++)
        {
            plain.Adam.zero_grad();
            plain.Loss(step).backward();
            plain.Adam.step();
            update.ZeroGrad();
            flat.Loss(step).backward();
            update.Step();
            AssertSameState(plain, flat);
        }
    }

    [Fact]
    public void Steps_exactly_as_TorchSharps_Adam()
    {
        using var plain = new Problem(1);
        using var flat = new Problem(1);
        using var update = new FlatAdam(flat.Adam, flat.Parameters);
        AssertSameState(plain, flat);   // values kept when moved into the flat buffer
        StepBoth(plain, flat, update, 5);
        Assert.Equal(5, flat.State(0).step);
    }

    [Fact]
    public void Uses_a_state_loaded_into_the_optimizer()
    {
        // As a resumed run loads it: moments copied into the optimizer's tensors, steps set.
        using var plain = new Problem(2);
        using var flat = new Problem(2);
        using var update = new FlatAdam(flat.Adam, flat.Parameters);
        foreach (var problem in new[] { plain, flat })
            for (var i = 0; i < problem.Parameters.Length; i++)
            {
                var s = problem.State(i);
                s.step = 7;
                s.exp_avg.copy_(full_like(s.exp_avg, 0.1 * (i + 1)));
                s.exp_avg_sq.copy_(full_like(s.exp_avg_sq, 0.01 * (i + 1)));
            }
        StepBoth(plain, flat, update, 3);
        Assert.Equal(10, flat.State(0).step);
    }

    [Fact]
    public void Parameters_at_different_steps_get_their_own_bias_corrections()
    {
        using var plain = new Problem(3);
        using var flat = new Problem(3);
        using var update = new FlatAdam(flat.Adam, flat.Parameters);
        plain.State(1).step = 4;
        flat.State(1).step = 4;
        StepBoth(plain, flat, update, 2);
        Assert.Equal(2, flat.State(0).step);
        Assert.Equal(6, flat.State(1).step);
    }

    [Fact]
    public void Refuses_Adam_variants_it_does_not_compute()
    {
        var p = new Parameter(zeros(3));
        using var decay = optim.Adam(new[] { p }, weight_decay: 0.1);
        Assert.Throws<ArgumentException>(() => new FlatAdam(decay, new[] { p }));
        using var amsgrad = optim.Adam(new[] { p }, amsgrad: true);
        Assert.Throws<ArgumentException>(() => new FlatAdam(amsgrad, new[] { p }));
    }
}
