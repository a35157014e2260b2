using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>
/// Adam's update, exactly as TorchSharp's <see cref="Adam"/> computes it, run on all parameters
/// at once. TorchSharp steps each parameter tensor on its own, about eight kernels per tensor:
/// for the tiny model (43 tensors) that is a tenth of a training step spent launching small
/// kernels. Here the parameters, their gradients and Adam's two moments each live in one flat
/// buffer, the model's parameters, their <c>.grad</c> and the optimizer's state being views into
/// them, so a step is eight kernels in all. The <see cref="Adam"/> object keeps its state (checkpoints
/// read and write it as before), and its own <c>step()</c> would still give the same update.
/// <para>
/// For a pack of runs (<see cref="Members"/> &gt; 1) each parameter is stacked, <c>[members, ...]</c>,
/// and the flat buffers are laid out member by member, <c>[members, per member]</c>: member i's
/// parameters, and its moments, are then one contiguous row, viewed by <see cref="MemberWeights"/>
/// and its kin, and the health of every member's state is one reduction per buffer.
/// </para>
/// </summary>
public sealed class FlatAdam : IDisposable
{
    readonly Adam _adam;
    readonly Adam.Options _options;         // the optimizer's own: a loaded learning rate shows here
    readonly Adam.State[] _states;
    readonly IReadOnlyList<Parameter> _parameters;
    readonly Tensor[] _gradViews;
    readonly Tensor _weights, _grads, _expAvg, _expAvgSq;
    readonly long[] _offsets;   // each parameter's first element within a member's row
    readonly bool _stacked;     // parameters stacked along a member dimension (a pack), or one model's

    /// <summary>How many runs the buffers hold side by side (1 for a single run).</summary>
    public int Members { get; }

    /// <summary>
    /// Moves the storage of the parameters and of <paramref name="adam"/>'s moments into flat
    /// buffers (each tensor keeps its identity and values) and makes the gradients views of one.
    /// </summary>
    /// <param name="adam">Plain Adam (no weight decay, AMSGrad or maximize) over exactly <paramref name="parameters"/>, in that order.</param>
    /// <param name="parameters">The model's parameters, in the optimizer's order; for a pack, each stacked along a first dimension of <paramref name="members"/>.</param>
    /// <param name="members">The runs stacked in each parameter's first dimension (a pack, of one or more); null for one model's parameters as they are.</param>
    public FlatAdam(Adam adam, IReadOnlyList<Parameter> parameters, int? members = null)
    {
        _adam = adam;
        var sd = adam.state_dict();
        var o = (Adam.Options)sd.Options[0];
        if (sd.Options.Count != 1 || o.weight_decay != 0 || o.amsgrad == true || o.maximize == true)
            throw new ArgumentException("FlatAdam runs plain Adam with one parameter group");
        if (sd.State.Count != parameters.Count)
            throw new ArgumentException($"the optimizer has {sd.State.Count} parameters, {parameters.Count} given");
        if (members < 1) throw new ArgumentException($"members must be at least 1, found {members}");
        _states = sd.State.Cast<Adam.State>().ToArray();
        _options = o;
        _parameters = parameters;
        _stacked = members is not null;
        Members = members ?? 1;
        _gradViews = new Tensor[parameters.Count];
        _offsets = new long[parameters.Count];
        var first = parameters[0];
        for (var i = 0; i < parameters.Count; i++)
        {
            var (p, st) = (parameters[i], _states[i]);
            if (p.dtype != first.dtype || p.device_type != first.device_type || p.device_index != first.device_index || !st.exp_avg.shape.SequenceEqual(p.shape))
                throw new ArgumentException($"parameter {i} must have the first one's dtype and device and the shape of the optimizer's state {i}");
            if (_stacked && (p.dim() == 0 || p.shape[0] != Members))
                throw new ArgumentException($"parameter {i} must be stacked over the {members} members along its first dimension");
        }
        long perMember = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            _offsets[i] = perMember;
            perMember += parameters[i].numel() / Members;
        }
        _weights = empty(Members, perMember, dtype: first.dtype, device: first.device);
        _grads = zeros(Members, perMember, dtype: first.dtype, device: first.device);
        _expAvg = empty(Members, perMember, dtype: first.dtype, device: first.device);
        _expAvgSq = empty(Members, perMember, dtype: first.dtype, device: first.device);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            // Each tensor keeps its identity (the model and the optimizer hold it) and moves its
            // storage into the flat buffer: copy the values, then point the tensor at the slice.
            AliasInto(p, Slice(_weights, i));
            AliasInto(_states[i].exp_avg, Slice(_expAvg, i));
            AliasInto(_states[i].exp_avg_sq, Slice(_expAvgSq, i));
            _gradViews[i] = Slice(_grads, i).DetachFromDisposeScope();
        }
    }

    /// <summary>Parameter <paramref name="i"/>'s elements of <paramref name="flat"/>, in the parameter's shape (a strided view for a pack).</summary>
    Tensor Slice(Tensor flat, int i) => flat.narrow(1, _offsets[i], _parameters[i].numel() / Members).view(_parameters[i].shape);

    /// <summary>Member <paramref name="member"/>'s part of parameter <paramref name="i"/> in <paramref name="flat"/>: a contiguous view in the parameter's shape without the member dimension.</summary>
    Tensor MemberSlice(Tensor flat, int member, int i)
    {
        var shape = _stacked ? _parameters[i].shape[1..] : _parameters[i].shape;
        return flat[member].narrow(0, _offsets[i], _parameters[i].numel() / Members).view(shape);
    }

    /// <summary>Member <paramref name="member"/>'s values of parameter <paramref name="parameter"/>: a view into the flat buffer, for the member's own model to alias.</summary>
    public Tensor MemberWeights(int member, int parameter) => MemberSlice(_weights, member, parameter);
    /// <summary>Member <paramref name="member"/>'s first moment of parameter <paramref name="parameter"/>: a view, for the member's own Adam to alias.</summary>
    public Tensor MemberExpAvg(int member, int parameter) => MemberSlice(_expAvg, member, parameter);
    /// <summary>Member <paramref name="member"/>'s second moment of parameter <paramref name="parameter"/>: a view, for the member's own Adam to alias.</summary>
    public Tensor MemberExpAvgSq(int member, int parameter) => MemberSlice(_expAvgSq, member, parameter);

    /// <summary>The Adam step every parameter is at (when <see cref="StepsAgree"/>).</summary>
    public long AdamStep => _states[0].step;

    static void AliasInto(Tensor tensor, Tensor slice)
    {
        slice.copy_(tensor);
        tensor.set_(slice);
    }

    /// <summary>
    /// Zeroes every gradient (one kernel). Backward adds into an existing gradient in place, so
    /// each <c>.grad</c> stays its view; it is pointed there again first, in case something set
    /// it to none (a module's <c>zero_grad()</c>) since the last step.
    /// </summary>
    public void ZeroGrad()
    {
        for (var i = 0; i < _parameters.Count; i++) _parameters[i].grad = _gradViews[i];
        _grads.zero_();
    }

    /// <summary>
    /// Whether every parameter is at one Adam step, as in any run this program trained. A loaded
    /// state that lacks some parameters' moments starts those at step 0 and they stay behind for
    /// good: each then needs its own bias corrections, which the one flat update cannot give.
    /// </summary>
    public bool StepsAgree => _states.All(s => s.step == _states[0].step);

    /// <summary>One Adam step on every parameter, from the gradients backward left.</summary>
    public void Step()
    {
        // Parameters at different Adam steps: Adam's per-tensor step, on the same views.
        if (!StepsAgree)
        {
            _adam.step();
            return;
        }
        var step = _states[0].step + 1;
        foreach (var s in _states) s.step = step;
        var o = _options;
        var (beta1, beta2) = (o.beta1!.Value, o.beta2!.Value);
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // Scalars held here, not made implicitly: TorchSharp passes a Scalar's handle and keeps no
        // reference to it, so another thread's GC could finalize a temporary one during the call.
        using Scalar b1 = beta1, a1 = 1 - beta1, b2 = beta2, a2 = 1 - beta2, c2 = Math.Sqrt(biasCorrection2), eps = o.eps!.Value,
            size = -o.LearningRate!.Value / biasCorrection1;
        _expAvg.mul_(b1).add_(_grads, alpha: a1);
        _expAvgSq.mul_(b2).addcmul_(_grads, _grads, value: a2);
        var denom = (_expAvgSq.sqrt() / c2).add_(eps);
        _weights.addcdiv_(_expAvg, denom, value: size);
    }

    Tensor? _stepScalars;   // on the device: 1/sqrt(1 − β2^t) and −lr/(1 − β1^t), for StepOnDevice

    /// <summary>
    /// Readies one update by <see cref="StepOnDevice"/>, outside any CUDA graph capture: advances the
    /// step counts the optimizer's state (and checkpoints) keep, and writes the step's bias
    /// corrections into a device tensor the captured update reads. False when the parameters are
    /// at different steps (a loaded state lacking some): <see cref="Step"/> handles that.
    /// </summary>
    public bool PrepareStepOnDevice()
    {
        if (!StepsAgree) return false;
        var step = _states[0].step + 1;
        foreach (var s in _states) s.step = step;
        var o = _options;
        var (beta1, beta2) = (o.beta1!.Value, o.beta2!.Value);
        using var values = tensor(new[] { (float)(1 / Math.Sqrt(1 - Math.Pow(beta2, step))), (float)(-o.LearningRate!.Value / (1 - Math.Pow(beta1, step))) });
        // Made once, outside any step's dispose scope: a captured graph reads this very tensor.
        _stepScalars ??= zeros(2, dtype: _weights.dtype, device: _weights.device).DetachFromDisposeScope();
        _stepScalars.copy_(values);
        return true;
    }

    /// <summary>
    /// Adam's update with its step-dependent numbers read from the device (<see cref="PrepareStepOnDevice"/>),
    /// so that it can be captured in a CUDA graph and replayed at every step. The same update as
    /// <see cref="Step"/>, up to float rounding (it multiplies by 1/sqrt(1 − β2^t) where Step divides).
    /// </summary>
    public void StepOnDevice()
    {
        var o = _options;
        var (beta1, beta2) = (o.beta1!.Value, o.beta2!.Value);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using Scalar b1 = beta1, a1 = 1 - beta1, b2 = beta2, a2 = 1 - beta2, eps = o.eps!.Value, one = 1;
        _expAvg.mul_(b1).add_(_grads, alpha: a1);
        _expAvgSq.mul_(b2).addcmul_(_grads, _grads, value: a2);
        var denom = _expAvgSq.sqrt().mul_(_stepScalars!.narrow(0, 0, 1)).add_(eps);
        _weights.addcmul_(_expAvg.div(denom), _stepScalars.narrow(0, 1, 1), value: one);
    }

    /// <summary>
    /// What a checkpoint saves, checked on the device without a sync: <c>[3, members]</c>, row 0 the
    /// weights, row 1 Adam's first moment, row 2 its second moment; an entry is 0 when all of that
    /// member's values are finite and NaN when one is not (each value times 0, summed: cheaper than
    /// <c>isfinite</c> on the CPU, and capturable in a CUDA graph).
    /// </summary>
    public Tensor Health()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using Scalar zero = 0;
        var rows = new[] { _weights, _expAvg, _expAvgSq }.Select(b => b.mul(zero).sum(1)).ToArray();
        return stack(rows).MoveToOuterDisposeScope();
    }

    /// <summary>The names of the parts of <see cref="Health"/>'s rows, as messages name what went non-finite.</summary>
    public static readonly string[] HealthParts = ["weights", "Adam's first moment (exp_avg)", "Adam's second moment (exp_avg_sq)"];

    /// <summary>
    /// Reads <see cref="Health"/> back: for each member, null when its weights and moments are all
    /// finite, else what is not (e.g. "Adam's second moment (exp_avg_sq)").
    /// </summary>
    public static string?[] Describe(Tensor health)
    {
        using var cpu = health.cpu();
        var values = cpu.data<float>().ToArray();
        var members = (int)health.shape[1];
        return Enumerable.Range(0, members).Select(m =>
        {
            var bad = Enumerable.Range(0, HealthParts.Length).Where(r => !float.IsFinite(values[r * members + m])).Select(r => HealthParts[r]).ToList();
            return bad.Count == 0 ? null : string.Join(" and ", bad) + " not finite";
        }).ToArray();
    }

    /// <summary>Whether every parameter is finite (one reduction over the flat buffer).</summary>
    public bool WeightsAreFinite()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using Scalar zero = 0;
        return float.IsFinite(_weights.mul(zero).sum().ToSingle());
    }

    /// <summary>Disposes this object's handles on the flat buffers and the gradient views; the model and the <see cref="Adam"/> object stay the caller's.</summary>
    public void Dispose()
    {
        foreach (var view in _gradViews) view.Dispose();
        _weights.Dispose();
        _grads.Dispose();
        _expAvg.Dispose();
        _expAvgSq.Dispose();
        _stepScalars?.Dispose();
    }
}
