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
/// </summary>
public sealed class FlatAdam : IDisposable
{
    readonly Adam _adam;
    readonly Adam.Options _options;         // the optimizer's own: a loaded learning rate shows here
    readonly Adam.State[] _states;
    readonly IReadOnlyList<Parameter> _parameters;
    readonly Tensor[] _gradViews;
    readonly Tensor _weights, _grads, _expAvg, _expAvgSq;

    /// <summary>
    /// Moves the storage of the parameters and of <paramref name="adam"/>'s moments into flat
    /// buffers (each tensor keeps its identity and values) and makes the gradients views of one.
    /// </summary>
    /// <param name="adam">Plain Adam (no weight decay, AMSGrad or maximize) over exactly <paramref name="parameters"/>, in that order.</param>
    /// <param name="parameters">The model's parameters, in the optimizer's order.</param>
    public FlatAdam(Adam adam, IReadOnlyList<Parameter> parameters)
    {
        _adam = adam;
        var sd = adam.state_dict();
        var o = (Adam.Options)sd.Options[0];
        if (sd.Options.Count != 1 || o.weight_decay != 0 || o.amsgrad == true || o.maximize == true)
            throw new ArgumentException("FlatAdam runs plain Adam with one parameter group");
        if (sd.State.Count != parameters.Count)
            throw new ArgumentException($"the optimizer has {sd.State.Count} parameters, {parameters.Count} given");
        _states = sd.State.Cast<Adam.State>().ToArray();
        _options = o;
        _parameters = parameters;
        _gradViews = new Tensor[parameters.Count];
        var first = parameters[0];
        for (var i = 0; i < parameters.Count; i++)
        {
            var (p, st) = (parameters[i], _states[i]);
            if (p.dtype != first.dtype || p.device_type != first.device_type || p.device_index != first.device_index || !st.exp_avg.shape.SequenceEqual(p.shape))
                throw new ArgumentException($"parameter {i} must have the first one's dtype and device and the shape of the optimizer's state {i}");
        }
        var total = parameters.Sum(p => p.numel());
        _weights = empty(total, dtype: first.dtype, device: first.device);
        _grads = zeros(total, dtype: first.dtype, device: first.device);
        _expAvg = empty(total, dtype: first.dtype, device: first.device);
        _expAvgSq = empty(total, dtype: first.dtype, device: first.device);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long offset = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var n = p.numel();
            Tensor Slice(Tensor flat) => flat.narrow(0, offset, n).view(p.shape);
            // Each tensor keeps its identity (the model and the optimizer hold it) and moves its
            // storage into the flat buffer: copy the values, then point the tensor at the slice.
            AliasInto(p, Slice(_weights));
            AliasInto(_states[i].exp_avg, Slice(_expAvg));
            AliasInto(_states[i].exp_avg_sq, Slice(_expAvgSq));
            _gradViews[i] = Slice(_grads).DetachFromDisposeScope();
            offset += n;
        }
    }

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

    /// <summary>Whether every parameter is finite (one reduction over the flat buffer).</summary>
    public bool WeightsAreFinite()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return _weights.isfinite().all().item<bool>();
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
