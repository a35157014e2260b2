using System.Diagnostics;
using System.Globalization;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using InContext.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Training;

/// <summary>What one training step reports to the caller (progress bars, notebooks).</summary>
/// <param name="Step">The step's index, from 0: the number <c>train_log.csv</c>, TensorBoard and <c>model_&lt;step&gt;.pt</c> give it. The first step is 0, the last <c>TotalSteps − 1</c>; <see cref="StepsDone"/> counts them from 1.</param>
/// <param name="TotalSteps">The number of steps the run trains to.</param>
/// <param name="Loss">The step's training loss.</param>
/// <param name="ExcessLoss">The loss divided by least squares' expected loss at this step's points and active dims (<see cref="Curriculum.BaselineLoss"/>): the paper's excess loss.</param>
/// <param name="NPoints">Points per prompt at this step (the curriculum's).</param>
/// <param name="NDims">Active input dims at this step (the curriculum's).</param>
/// <param name="ElapsedSeconds">Seconds since this call to <see cref="Trainer.Train"/> began.</param>
/// <param name="StepsPerSecond">Steps trained in this call per second of it, warm-up included.</param>
/// <param name="Logged">Whether this step was written to the log (every <c>log_every_steps</c>, and the last).</param>
public sealed record StepReport(
    int Step, int TotalSteps, double Loss, double ExcessLoss, int NPoints, int NDims,
    double ElapsedSeconds, double StepsPerSecond, bool Logged)
{
    /// <summary>Steps done once this one is, from 1 to <see cref="TotalSteps"/>: what <c>icl train</c> prints as "step 1/5000" for the first step (<see cref="Step"/> 0).</summary>
    public int StepsDone => Step + 1;
}

/// <summary>
/// Trains an <see cref="InContextTransformer"/> as the paper does: Adam, a fresh batch
/// every step, the curriculum, checkpoints every <c>save_every_steps</c> and kept models every
/// <c>keep_every_steps</c>, logs every <c>log_every_steps</c>. An existing <c>state.pt</c> in
/// the run folder is resumed: weights, Adam state and step restored; the curriculum and the
/// data follow from the step, so the trajectory is the one an uninterrupted run takes.
/// <para>
/// Nothing is lost: the run folder is locked while the trainer lives (one writer at a time),
/// every file is written atomically, and a loss or weights that are not finite stop training
/// before anything is written over the last good checkpoint (<see cref="TrainingDivergedException"/>).
/// </para>
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>The run's config; training past its <c>train_steps</c> raises them here (and in the saved config).</summary>
    public RunConfig Config { get; private set; }
    /// <summary>The run folder, or null for a test run that writes nothing.</summary>
    public RunFolder? Run { get; }
    /// <summary>The model being trained.</summary>
    public InContextTransformer Model { get; }
    /// <summary>The Adam optimizer: its state is what checkpoints save (<see cref="FlatAdam"/> computes its steps).</summary>
    public Adam Optimizer { get; }
    readonly FlatAdam _update;
    readonly GraphedSteps? _graphed;
    (Tensor xs, Tensor ys)? _prefetched;
    readonly RunLock? _lock;
    /// <summary>The training prompts, drawn per step.</summary>
    public TrainingData Data { get; }
    /// <summary>The device the model trains on.</summary>
    public Device Device { get; }

    /// <summary>Index of the next step to train (0 for a fresh run).</summary>
    public int NextStep { get; private set; }

    /// <summary>The step the run folder's <c>state.pt</c> holds, null before the first save.</summary>
    public int? SavedStep { get; private set; }

    /// <summary>Whether steps are replayed from CUDA graphs (<see cref="GraphedSteps"/>).</summary>
    public bool UsesCudaGraphs => _graphed is not null;

    /// <summary>
    /// Builds the model and optimizer for <paramref name="config"/>, locking <paramref name="run"/>
    /// and resuming its <c>state.pt</c> if it has one; refuses a config whose memory cannot fit.
    /// </summary>
    /// <param name="config">The run's config.</param>
    /// <param name="run">The run folder, or null for a test run that writes nothing.</param>
    /// <param name="device">The device to train on (null: the CPU).</param>
    /// <param name="cudaGraphs">On a CUDA device: true replays steps from CUDA graphs (the shim must
    /// load), false runs them eagerly, null uses graphs when the shim is there (<see cref="CudaGraphs.DefaultPath"/>).</param>
    public Trainer(RunConfig config, RunFolder? run, Device? device = null, bool? cudaGraphs = null)
    {
        TrainingMemory.Estimate(config).EnsureFits(config.Source);
        Config = config;
        Run = run;
        Device = device ?? CPU;
        var createdFolder = run is not null && !Directory.Exists(run.Path);
        try
        {
            _lock = run?.Lock("training");
            // The model's initial weights come from the run seed too, so two runs with one seed are one run.
            manual_seed(Seeds.ModelInitialisation(config.Training.Seed));
            Model = new InContextTransformer(config.Model, Device);
            Optimizer = optim.Adam(Model.parameters(), lr: config.Training.LearningRate);
            _update = new FlatAdam(Optimizer, Model.parameters().ToList());
            Data = new TrainingData(config);
            if (run is { HasState: true }) Resume(run.StatePath);
            if (Device.type == DeviceType.CUDA && GraphedSteps.Choose(cudaGraphs, _update, run is { HasState: true } ? run.StatePath : null))
                _graphed = new GraphedSteps(Model, Data.Task, _update);
        }
        catch
        {
            _lock?.Dispose();
            // A failed start leaves no half-made run folder behind.
            if (createdFolder && Directory.Exists(run!.Path) && Directory.EnumerateFileSystemEntries(run.Path).All(f => Path.GetFileName(f) == RunLock.FileName))
                Directory.Delete(run.Path, recursive: true);
            throw;
        }
    }

    void Resume(string statePath)
    {
        using var contents = PyTorchCheckpoint.Read(statePath);
        PyTorchCheckpoint.LoadModel(Model, contents.Model, statePath);
        if (contents.Optimizer is { } opt) AdamState.Load(Model, Optimizer, opt, statePath);
        var step = contents.TrainStep ?? throw new InputException($"{statePath}: train_step missing");
        NextStep = step + 1;
        SavedStep = step;
    }

    /// <summary>
    /// Trains one step (index <see cref="NextStep"/>) and returns its loss and, when asked, the
    /// batch's metric per position before the update (only on logged steps: it costs a few kernels).
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
        if (_graphed is not null)
        {
            var (x, y) = _prefetched ?? Data.Batch(NextStep);
            _prefetched = null;
            using (x) using (y) _graphed.Launch(x, y);
            // The next batch is drawn on the CPU while the GPU runs this step.
            var next = Data.Batch(NextStep + 1);
            _prefetched = (next.xs.DetachFromDisposeScope(), next.ys.DetachFromDisposeScope());
            var result = _graphed.Finish(pointwise);
            NextStep++;
            return result;
        }
        var (xs, ys) = Data.Batch(NextStep);
        xs = xs.to(Device);
        ys = ys.to(Device);
        Model.train();
        _update.ZeroGrad();
        var predictions = Model.forward(xs, ys);
        var loss = Data.Task.TrainingLoss(predictions, ys);
        loss.backward();
        _update.Step();
        var perPoint = pointwise ? PointwiseMetric(Data.Task, predictions.detach(), ys) : null;
        NextStep++;
        return (loss.ToDouble(), perPoint);
    }

    /// <summary>
    /// The batch's metric per position, averaged over prompts: what the paper logs as
    /// <c>pointwise/loss</c> (its <c>task.get_metric()</c>, so accuracy for the label classes).
    /// </summary>
    internal static double[] PointwiseMetric(FunctionClass task, Tensor predictions, Tensor ys) =>
        task.Metric(predictions, ys).mean(new long[] { 0 }).cpu().data<float>().Select(v => (double)v).ToArray();

    /// <summary>
    /// TorchSharp frees a <c>Scalar</c>'s native memory only in its finalizer, and everyday ops make
    /// scalars nobody disposes (<c>x + y</c>'s alpha, <c>x * 2</c>). A step allocates almost nothing
    /// managed, so the GC would run every few hundred steps; meanwhile those small native blocks sit
    /// between activation buffers and fragment the heap, which then keeps growing. Collecting the
    /// youngest generation after each step, once the step's dispose scope has let go of its tensors,
    /// keeps the heap flat (docs/performance.md has the measurements).
    /// </summary>
    static void ReleaseImplicitScalars() => GC.Collect(0);

    /// <summary>
    /// Trains until <paramref name="totalSteps"/> steps are done (the config's
    /// <c>train_steps</c> by default), calling <paramref name="onStep"/> after each. Returns false
    /// when <paramref name="cancel"/> stopped it (its progress is saved); throws
    /// <see cref="TrainingDivergedException"/> at the first loss that is not finite.
    /// </summary>
    public bool Train(int? totalSteps = null, Action<StepReport>? onStep = null, CancellationToken cancel = default)
    {
        var total = totalSteps ?? Config.Training.TrainSteps;
        var t = Config.Training;
        TrainingLog? log = null;
        SummaryWriter? events = null;
        if (Run != null)
        {
            Directory.CreateDirectory(Run.Path);
            // A run trained past its config's train_steps now aims there: its config says so (reports read it).
            if (total > t.TrainSteps) Config = Config with { Training = t with { TrainSteps = total } };
            if (!Run.HasConfig || total > t.TrainSteps) Config.Save(Run.ConfigPath);
            log = new TrainingLog(Run.TrainLogPath, NextStep - 1);
            events = Storage(Run.Path, () => utils.tensorboard.SummaryWriter(Run.Path));
        }
        var clock = Stopwatch.StartNew();
        var first = NextStep;
        while (NextStep < total && !cancel.IsCancellationRequested)
        {
            var step = NextStep;
            var logged = step % Config.Wandb.LogEverySteps == 0 || step == total - 1;
            var (loss, pointwise) = Step(pointwise: logged && events != null);
            if (!double.IsFinite(loss)) throw Diverged(step, $"loss {Number(loss)}");
            var nPoints = Data.Curriculum.NPoints(step);
            var nDims = Data.Curriculum.NDims(step);
            var excess = loss / Curriculum.BaselineLoss(nPoints, nDims);
            var seconds = clock.Elapsed.TotalSeconds;
            if (logged && log != null)
            {
                log.Append(new LogRow(step, loss, excess, nPoints, nDims, seconds));
                Storage(Run!.Path, () =>
                {
                    events!.add_scalar("overall_loss", (float)loss, step);
                    events.add_scalar("excess_loss", (float)excess, step);
                    events.add_scalar("n_points", nPoints, step);
                    events.add_scalar("n_dims", nDims, step);
                    for (var i = 0; i < pointwise!.Length; i++) events.add_scalar($"pointwise/loss_{i}", (float)pointwise[i], step);
                    return 0;
                });
            }
            if (Run != null)
            {
                // The kept snapshot before state.pt: a process killed between the two then resumes
                // from the previous state and writes the snapshot again, where the other order would
                // resume past the step and never write it.
                if (t.KeepEverySteps > 0 && step > 0 && step % t.KeepEverySteps == 0)
                {
                    EnsureFiniteWeights(step);
                    PyTorchCheckpoint.WriteModel(Run.ModelPath(step), Model);
                }
                if (step % t.SaveEverySteps == 0 || NextStep == total) Save(step);
            }
            onStep?.Invoke(new StepReport(step, total, loss, excess, nPoints, nDims, seconds, (step - first + 1) / Math.Max(seconds, 1e-9), logged));
        }
        // A cancelled run keeps its progress.
        if (Run != null && cancel.IsCancellationRequested && NextStep > first && SavedStep != NextStep - 1) Save(NextStep - 1);
        return !cancel.IsCancellationRequested || NextStep >= total;
    }

    /// <summary>Writes <c>state.pt</c> after step <paramref name="step"/>, once its weights are known to be finite.</summary>
    void Save(int step)
    {
        EnsureFiniteWeights(step);
        PyTorchCheckpoint.WriteState(Run!.StatePath, Model, Optimizer, step);
        SavedStep = step;
    }

    void EnsureFiniteWeights(int step)
    {
        if (!_update.WeightsAreFinite()) throw Diverged(step, "weights not finite after the update");
    }

    TrainingDivergedException Diverged(int step, string what)
    {
        var kept = Run is null ? "a test run writes nothing"
            : SavedStep is { } s ? $"{Run.StatePath} still holds step {s}, the last good checkpoint; rerunning resumes there"
            : "no checkpoint was written";
        var scale = Data.Task.Kwargs.TryGetValue("scale", out var sc) ? $", training.task_kwargs.scale {Number(Convert.ToDouble(sc, CultureInfo.InvariantCulture))}" : "";
        return new TrainingDivergedException(
            $"training diverged at step {step}: {what}; {kept}; lower training.learning_rate (now {Number(Config.Training.LearningRate)}){scale} or check the data's scale");
    }

    static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Runs a write the library does not route through <see cref="AtomicFile"/> (TensorBoard's), turning a failure into one line.</summary>
    static T Storage<T>(string path, Func<T> write)
    {
        try { return write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || e.InnerException is IOException) { throw AtomicFile.StorageError(path, e); }
    }

    /// <summary>Disposes the model, optimizer and data, and releases the run folder's lock.</summary>
    public void Dispose()
    {
        _graphed?.Dispose();
        if (_prefetched is var (px, py)) { px.Dispose(); py.Dispose(); }
        Data.Dispose();
        _update.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
        _lock?.Dispose();
    }
}
