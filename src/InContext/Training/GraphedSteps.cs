using TorchSharp;
using static TorchSharp.torch;
using InContext.Native;

namespace InContext.Training;

/// <summary>
/// Training steps on a CUDA device replayed from a CUDA graph (PyTorch's whole-network capture):
/// the batch is copied into static input tensors, and one captured step (forward, loss, backward,
/// Adam with its step-dependent numbers on the device, the check of what a checkpoint saves) is
/// replayed; a single run's and a pack's steps alike (<see cref="TrainingObjective"/>). A graph holds one prompt shape;
/// when the curriculum changes the shape, the next step runs eagerly once (a warm-up, as PyTorch
/// advises before a capture) and the step after is captured anew. Every step, warm-up or replayed,
/// runs on one side stream and computes the same update.
/// </summary>
public sealed class GraphedSteps : IDisposable
{
    /// <summary>
    /// Whether a run on a CUDA device replays its steps from graphs, decided before its first step.
    /// <paramref name="asked"/> false: never. True: yes, or one line saying why not (the shim does not
    /// load; the optimizer's parameters are at different Adam steps, which one captured update cannot
    /// serve). Null (auto): when the shim at <paramref name="shimPath"/> is there and the steps agree,
    /// else eager steps.
    /// </summary>
    /// <param name="asked">--cuda-graphs: on (true), off (false) or auto (null).</param>
    /// <param name="update">The run's optimizer step, after any state was resumed into it.</param>
    /// <param name="statePath">The resumed state.pt the optimizer came from, named in the refusal; null for a fresh run.</param>
    /// <param name="shimPath">The shim (null: <see cref="CudaGraphs.DefaultPath"/>).</param>
    public static bool Choose(bool? asked, FlatAdam update, string? statePath, string? shimPath = null)
    {
        if (asked == false) return false;
        if (!update.StepsAgree)
            return asked == true
                ? throw new InputException($"{statePath ?? "the optimizer"}: its Adam state has parameters at different steps, and CUDA graphs replay one update for all of them; train with --cuda-graphs off (or auto)")
                : false;
        if (asked == null) return CudaGraphs.TryLoad(shimPath);
        CudaGraphs.Load(shimPath);
        return true;
    }

    const int WarmUpSteps = 2;

    readonly TrainingObjective _objective;
    readonly FlatAdam _update;
    readonly Device _device;
    readonly CudaSideStream _stream = CudaSideStream.Create();
    CudaGraph? _graph;
    long[]? _shape;
    Tensor? _xs, _ys, _losses, _predictions, _health;
    int _warmUps = WarmUpSteps;

    internal GraphedSteps(TrainingObjective objective, FlatAdam update, Device device)
    {
        _objective = objective;
        _update = update;
        _device = device;
    }

    /// <summary>Queues the step on the batch (CPU tensors): copies it in and replays (or warms up, or captures). Returns at once.</summary>
    internal void Launch(Tensor xs, Tensor ys)
    {
        if (_shape is null || !_shape.SequenceEqual(xs.shape))
        {
            Reset();
            _shape = xs.shape.ToArray();
            // Static inputs live as long as the graph, outside any step's dispose scope.
            _xs = empty(xs.shape, dtype: xs.dtype, device: _device).DetachFromDisposeScope();
            _ys = empty(ys.shape, dtype: ys.dtype, device: _device).DetachFromDisposeScope();
        }
        using var on = _stream.Enter();
        _xs!.copy_(xs);
        _ys!.copy_(ys);
        // Choose refused graphs for parameters at different steps, and steps that agree stay so.
        if (!_update.PrepareStepOnDevice())
            throw new InvalidOperationException("the optimizer's parameters are at different steps; train eagerly (--cuda-graphs off)");
        if (_warmUps > 0)
        {
            _warmUps--;
            DisposeOutputs();
            Body();
            return;
        }
        if (_graph is null)
        {
            DisposeOutputs();
            _graph = CudaGraph.Capture(_stream, Body);   // records the step; runs nothing
        }
        _graph.Replay();
    }

    /// <summary>The step launched last (waits for it): each member's loss, the health of what a checkpoint saves, and when asked the metric per position.</summary>
    internal StepResult Finish(bool pointwise)
    {
        using var on = _stream.Enter();
        return _objective.Result(_losses!, _health!, pointwise ? _predictions : null, _ys!);
    }

    /// <summary>One step on the static inputs; only device work, nothing that changes between steps on the host.</summary>
    void Body()
    {
        _update.ZeroGrad();
        using var scope = NewDisposeScope();
        var (objective, losses, predictions) = _objective.Forward(_xs!, _ys!);
        _objective.Backward(objective);
        _update.StepOnDevice();
        // The graph writes its outputs into these on every replay: they outlive every dispose scope.
        _losses = losses.detach().DetachFromDisposeScope();
        _predictions = predictions.detach().DetachFromDisposeScope();
        _health = _update.Health().DetachFromDisposeScope();
    }

    void DisposeOutputs()
    {
        _losses?.Dispose(); _predictions?.Dispose(); _health?.Dispose();
        (_losses, _predictions, _health) = (null, null, null);
    }

    void Reset()
    {
        if (_graph is not null)
        {
            CudaGraphs.Synchronize();
            _graph.Dispose();
            _graph = null;
        }
        DisposeOutputs();
        _xs?.Dispose(); _ys?.Dispose();
        (_xs, _ys) = (null, null);
        _warmUps = Math.Max(_warmUps, 1);
    }

    /// <summary>Disposes the graph, the static tensors and the side stream (waiting for the graph's work first).</summary>
    public void Dispose()
    {
        Reset();
        _stream.Dispose();
    }
}
