using System.Diagnostics;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>What one training step reports to the caller (progress bars, notebooks).</summary>
public sealed record StepReport(
    int Step, int TotalSteps, double Loss, double ExcessLoss, int NPoints, int NDims,
    double ElapsedSeconds, double StepsPerSecond, bool Logged);

/// <summary>
/// Trains an <see cref="InContextTransformer"/> as the paper does (SPEC §6): Adam, a fresh batch
/// every step, the curriculum, checkpoints every <c>save_every_steps</c> and kept models every
/// <c>keep_every_steps</c>, logs every <c>log_every_steps</c>. An existing <c>state.pt</c> in
/// the run folder is resumed: weights, Adam state and step restored; the curriculum and the
/// data follow from the step, so the trajectory is the one an uninterrupted run takes.
/// </summary>
public sealed class Trainer : IDisposable
{
    public RunConfig Config { get; }
    public RunFolder? Run { get; }
    public InContextTransformer Model { get; }
    public Adam Optimizer { get; }
    readonly FlatAdam _update;
    public TrainingData Data { get; }
    public Device Device { get; }

    /// <summary>Index of the next step to train (0 for a fresh run).</summary>
    public int NextStep { get; private set; }

    /// <param name="run">The run folder, or null for a test run that writes nothing.</param>
    public Trainer(RunConfig config, RunFolder? run, Device? device = null)
    {
        Config = config;
        Run = run;
        Device = device ?? CPU;
        // The model's initial weights come from the run seed too, so two runs with one seed are one run.
        manual_seed((long)(TrainingData.StepSeed(config.Training.Seed, -2) >> 1));
        Model = new InContextTransformer(config.Model, Device);
        Optimizer = optim.Adam(Model.parameters(), lr: config.Training.LearningRate);
        _update = new FlatAdam(Optimizer, Model.parameters().ToList());
        Data = new TrainingData(config);
        if (run is { HasState: true }) Resume(run.StatePath);
    }

    void Resume(string statePath)
    {
        using var contents = PyTorchCheckpoint.Read(statePath);
        PyTorchCheckpoint.LoadModel(Model, contents.Model, statePath);
        if (contents.Optimizer is { } opt) AdamState.Load(Model, Optimizer, opt, statePath);
        NextStep = (contents.TrainStep ?? throw new InputException($"{statePath}: train_step missing")) + 1;
    }

    /// <summary>
    /// Trains one step (index <see cref="NextStep"/>) and returns its loss and, when asked, the
    /// batch's point-wise squared error (only on logged steps: it costs a few kernels).
    /// </summary>
    public (double loss, double[]? pointwise) Step(bool pointwise = false)
    {
        var result = StepInScope(pointwise);
        ReleaseImplicitScalars();
        return result;
    }

    (double loss, double[]? pointwise) StepInScope(bool pointwise)
    {
        using var scope = NewDisposeScope();
        var (xs, ys) = Data.Batch(NextStep);
        xs = xs.to(Device);
        ys = ys.to(Device);
        Model.train();
        _update.ZeroGrad();
        var predictions = Model.forward(xs, ys);
        var loss = Data.Task.TrainingLoss(predictions, ys);
        loss.backward();
        _update.Step();
        var perPoint = pointwise ? (predictions.detach() - ys).square().mean(new long[] { 0 }).cpu().data<float>().Select(v => (double)v).ToArray() : null;
        NextStep++;
        return (loss.ToDouble(), perPoint);
    }

    /// <summary>
    /// TorchSharp frees a <c>Scalar</c>'s native memory only in its finalizer, and everyday ops make
    /// scalars nobody disposes (<c>x + y</c>'s alpha, <c>x * 2</c>). A step allocates almost nothing
    /// managed, so the GC would run every few hundred steps; meanwhile those small native blocks sit
    /// between activation buffers and fragment the heap, which then keeps growing. Measured with
    /// `icl bench train` (200 steps): the small model's process grew by 680–790 MB, the tiny one's
    /// by about 100 MB; collecting the youngest generation after each step, once the step's dispose
    /// scope has let go of its tensors (most of the step's garbage is then young), keeps both flat
    /// and, with <see cref="NativeRuntime.KeepFreedMemory"/>, took the small model's step from
    /// 270–279 to 244–253 ms in an A/B of the two.
    /// </summary>
    static void ReleaseImplicitScalars() => GC.Collect(0);

    /// <summary>
    /// Trains until <paramref name="totalSteps"/> steps are done (the config's
    /// <c>train_steps</c> by default), calling <paramref name="onStep"/> after each.
    /// </summary>
    public void Train(int? totalSteps = null, Action<StepReport>? onStep = null, CancellationToken cancel = default)
    {
        var total = totalSteps ?? Config.Training.TrainSteps;
        var t = Config.Training;
        TrainingLog? log = null;
        SummaryWriter? events = null;
        if (Run != null)
        {
            Directory.CreateDirectory(Run.Path);
            if (!Run.HasConfig) Config.Save(Run.ConfigPath);
            log = new TrainingLog(Run.TrainLogPath, NextStep - 1);
            events = utils.tensorboard.SummaryWriter(Run.Path);
        }
        var clock = Stopwatch.StartNew();
        var first = NextStep;
        while (NextStep < total && !cancel.IsCancellationRequested)
        {
            var step = NextStep;
            var logged = step % Config.Wandb.LogEverySteps == 0 || step == total - 1;
            var (loss, pointwise) = Step(pointwise: logged && events != null);
            var nPoints = Data.Curriculum.NPoints(step);
            var nDims = Data.Curriculum.NDims(step);
            var excess = loss / Curriculum.BaselineLoss(nPoints, nDims);
            var seconds = clock.Elapsed.TotalSeconds;
            if (logged && log != null)
            {
                log.Append(new LogRow(step, loss, excess, nPoints, nDims, seconds));
                events!.add_scalar("overall_loss", (float)loss, step);
                events.add_scalar("excess_loss", (float)excess, step);
                events.add_scalar("n_points", nPoints, step);
                events.add_scalar("n_dims", nDims, step);
                for (var i = 0; i < pointwise!.Length; i++) events.add_scalar($"pointwise/loss_{i}", (float)pointwise[i], step);
            }
            if (Run != null)
            {
                if (step % t.SaveEverySteps == 0 || NextStep == total) PyTorchCheckpoint.WriteState(Run.StatePath, Model, Optimizer, step);
                if (t.KeepEverySteps > 0 && step > 0 && step % t.KeepEverySteps == 0) PyTorchCheckpoint.WriteModel(Run.ModelPath(step), Model);
            }
            onStep?.Invoke(new StepReport(step, total, loss, excess, nPoints, nDims, seconds, (step - first + 1) / Math.Max(seconds, 1e-9), logged));
        }
        // A cancelled run keeps its progress.
        if (Run != null && cancel.IsCancellationRequested && NextStep > first)
            PyTorchCheckpoint.WriteState(Run.StatePath, Model, Optimizer, NextStep - 1);
    }

    public void Dispose()
    {
        Data.Dispose();
        _update.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}
