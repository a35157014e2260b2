using System.Diagnostics;
using System.Globalization;
using InContext.Config;
using InContext.Interop;
using InContext.Models;
using InContext.Storage;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>What one training step reports to the caller (progress bars, notebooks).</summary>
/// <param name="Step">The step's index, from 0: the number <c>train_log.csv</c>, TensorBoard and <c>model_&lt;step&gt;.pt</c> give it. The first step is 0, the last <c>TotalSteps − 1</c>; <see cref="StepsDone"/> counts them from 1.</param>
/// <param name="TotalSteps">The number of steps the run trains to.</param>
/// <param name="Loss">The step's training loss: the run's own, or for a pack the mean of the runs still training.</param>
/// <param name="ExcessLoss"><see cref="Loss"/> divided by least squares' expected loss at this step's points and active dims (<see cref="Curriculum.BaselineLoss"/>): the paper's excess loss.</param>
/// <param name="NPoints">Points per prompt at this step (the curriculum's).</param>
/// <param name="NDims">Active input dims at this step (the curriculum's).</param>
/// <param name="ElapsedSeconds">Seconds since this call to <see cref="Trainer.Train"/> began.</param>
/// <param name="StepsPerSecond">Steps trained in this call per second of it, warm-up included.</param>
/// <param name="Logged">Whether this step was written to the log (every <c>log_every_steps</c>, and the last).</param>
/// <param name="MemberLosses">Each run's loss (one, for a single run); NaN for a run of a pack that has stopped or rides along.</param>
public sealed record StepReport(
    int Step, int TotalSteps, double Loss, double ExcessLoss, int NPoints, int NDims,
    double ElapsedSeconds, double StepsPerSecond, bool Logged, IReadOnlyList<double>? MemberLosses = null)
{
    /// <summary>Steps done once this one is, from 1 to <see cref="TotalSteps"/>: what <c>icl train</c> prints as "step 1/5000" for the first step (<see cref="Step"/> 0).</summary>
    public int StepsDone => Step + 1;
}

/// <summary>
/// One run of what a <see cref="Trainer"/> trains: its config, folder, model, optimizer and data,
/// and what it has written. A single run is a pack of one.
/// </summary>
public sealed class TrainingMember
{
    internal TrainingMember(RunConfig config, RunFolder? run, InContextTransformer model, Adam optimizer, TrainingData data, RunLock? runLock)
    {
        (Config, Run, Model, Optimizer, Data, Lock) = (config, run, model, optimizer, data, runLock);
    }

    /// <summary>The run's config; training past its <c>train_steps</c> raises them here (and in the saved config).</summary>
    public RunConfig Config { get; internal set; }
    /// <summary>The run folder, or null for a test run that writes nothing.</summary>
    public RunFolder? Run { get; }
    /// <summary>The run's model. In a pack its parameters are views into the packed model's storage, so it always holds the member's current weights.</summary>
    public InContextTransformer Model { get; }
    /// <summary>The run's Adam optimizer: its state is what checkpoints save.</summary>
    public Adam Optimizer { get; }
    /// <summary>The run's training prompts, drawn per step from its own seed.</summary>
    public TrainingData Data { get; }
    /// <summary>The run's seed.</summary>
    public long Seed => Config.Training.Seed;
    /// <summary>The step the run folder's <c>state.pt</c> holds, null before the first save.</summary>
    public int? SavedStep { get; internal set; }
    /// <summary>Why the run stopped training while its pack trained on (its loss or state went non-finite); null while it trains.</summary>
    public string? Diverged { get; internal set; }

    /// <summary>The step this run resumes at: its saved step plus one (0 for a fresh run). In a pack, a run ahead of the others rides along until the pack reaches it.</summary>
    public int ResumesAt => (SavedStep ?? -1) + 1;

    internal RunLock? Lock { get; }
    internal TrainingLog? Log { get; set; }
    internal SummaryWriter? Events { get; set; }
}

/// <summary>
/// Trains <see cref="InContextTransformer"/>s as the paper does: Adam, a fresh batch every step,
/// the curriculum, checkpoints every <c>save_every_steps</c> and kept models every
/// <c>keep_every_steps</c>, logs every <c>log_every_steps</c>. An existing <c>state.pt</c> in
/// the run folder is resumed: weights, Adam state and step restored; the curriculum and the
/// data follow from the step, so the trajectory is the one an uninterrupted run takes.
/// <para>
/// One run, or a pack: the runs of one config that differ only in <c>training.seed</c>, trained
/// together as one <see cref="PackedTransformer"/> (each member with its own initial weights,
/// batches and Adam state, as if alone) for little more than one run's kernels. Each member keeps
/// its own run folder, in the layout of a single run.
/// </para>
/// <para>
/// Nothing is lost: every run folder is locked while the trainer lives (one writer at a time),
/// every file is written atomically, and a loss, weights or Adam moments that are not finite stop
/// the run before anything is written over its last good checkpoint
/// (<see cref="TrainingDivergedException"/>); in a pack the other members train on.
/// </para>
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>The runs trained (one for a single run), in the order given.</summary>
    public IReadOnlyList<TrainingMember> Members { get; }

    /// <summary>The run's config (a pack: its first member's).</summary>
    public RunConfig Config => Members[0].Config;
    /// <summary>The run folder, or null for a test run that writes nothing (a pack: its first member's).</summary>
    public RunFolder? Run => Members[0].Run;
    /// <summary>The model being trained (a pack: its first member's).</summary>
    public InContextTransformer Model => Members[0].Model;
    /// <summary>The Adam optimizer (a pack: its first member's): its state is what checkpoints save (<see cref="FlatAdam"/> computes its steps).</summary>
    public Adam Optimizer => Members[0].Optimizer;
    /// <summary>The training prompts, drawn per step (a pack: its first member's).</summary>
    public TrainingData Data => Members[0].Data;
    /// <summary>The step the run folder's <c>state.pt</c> holds, null before the first save (a pack: its first member's).</summary>
    public int? SavedStep => Members[0].SavedStep;

    /// <summary>The device the model trains on.</summary>
    public Device Device { get; }
    /// <summary>Index of the next step to train (0 for a fresh run).</summary>
    public int NextStep { get; private set; }
    /// <summary>Whether steps are replayed from CUDA graphs (<see cref="GraphedSteps"/>).</summary>
    public bool UsesCudaGraphs => _graphed is not null;
    /// <summary>Whether the members are trained as one <see cref="PackedTransformer"/> (any pack, and a pack of one when asked).</summary>
    public bool Packed => _packed is not null;

    readonly FlatAdam _update;
    readonly TrainingObjective _objective;
    readonly PackedTransformer? _packed;
    readonly Adam? _packedOptimizer;
    readonly GraphedSteps? _graphed;
    (Tensor xs, Tensor ys)? _prefetched;

    /// <summary>
    /// Builds the model and optimizer for <paramref name="config"/>, locking <paramref name="run"/>
    /// and resuming its <c>state.pt</c> if it has one; refuses a config whose memory cannot fit.
    /// </summary>
    /// <param name="config">The run's config.</param>
    /// <param name="run">The run folder, or null for a test run that writes nothing.</param>
    /// <param name="device">The device to train on (null: the CPU).</param>
    /// <param name="cudaGraphs">On a CUDA device: true replays steps from CUDA graphs (the shim must
    /// load), false runs them eagerly, null uses graphs when the shim is there (<see cref="Native.CudaGraphs.DefaultPath"/>).</param>
    public Trainer(RunConfig config, RunFolder? run, Device? device = null, bool? cudaGraphs = null)
        : this([(config, run)], device, cudaGraphs) { }

    /// <summary>
    /// Builds a pack of <paramref name="runs"/>: configs that differ only in <c>training.seed</c> (and
    /// in what says where and how often to write), each run folder locked and its <c>state.pt</c>
    /// resumed; runs ahead of the others ride along until the pack reaches them. One run trains as
    /// a single model unless <paramref name="packed"/>; several always as one packed model.
    /// </summary>
    /// <param name="runs">The runs: each config with its folder (null: a test run that writes nothing).</param>
    /// <param name="device">The device to train on (null: the CPU).</param>
    /// <param name="cudaGraphs">As for a single run.</param>
    /// <param name="packed">Train even one run as a packed model (so that a member that fell behind its pack catches up on the pack's arithmetic).</param>
    public Trainer(IReadOnlyList<(RunConfig Config, RunFolder? Run)> runs, Device? device = null, bool? cudaGraphs = null, bool packed = false)
    {
        if (runs.Count == 0) throw new ArgumentException("nothing to train", nameof(runs));
        SeedPacks.EnsurePackable(runs.Select(r => r.Config).ToList());
        TrainingMemory.Estimate(runs[0].Config, runs.Count).EnsureFits(runs[0].Config.Source);
        Device = device ?? CPU;
        var members = new List<TrainingMember>();
        var created = runs.Select(r => r.Run is not null && !Directory.Exists(r.Run.Path)).ToList();
        try
        {
            foreach (var (config, run) in runs)
            {
                var runLock = run?.Lock("training");
                try
                {
                    // The model's initial weights come from the run seed too, so two runs with one seed are one
                    // run, from a generator of their own (another thread drawing meanwhile changes nothing).
                    var model = new InContextTransformer(config.Model, Device, Seeds.ModelInitialisation(config.Training.Seed));
                    var optimizer = optim.Adam(model.parameters(), lr: config.Training.LearningRate);
                    var member = new TrainingMember(config, run, model, optimizer, new TrainingData(config), runLock);
                    members.Add(member);
                    if (run is { HasState: true }) Resume(member, run.StatePath);
                }
                catch
                {
                    if (members.Count == 0 || members[^1].Lock != runLock) runLock?.Dispose();
                    throw;
                }
            }
            Members = members;
            // A pack whose runs stand at different steps (a kill between two runs' saves) starts at
            // the run furthest behind; the others ride along in the pack, their updates discarded,
            // until it reaches them (Rejoin): every run then takes the steps it took in one uninterrupted pack.
            NextStep = members.Min(m => m.ResumesAt);
            if (members.Count == 1 && !packed)
            {
                var model = members[0].Model;
                _update = new FlatAdam(members[0].Optimizer, model.parameters().ToList());
                _objective = new TrainingObjective(model.forward, members[0].Data.Task, packed: false);
            }
            else (_packed, _packedOptimizer, _update, _objective) = Pack(members);
            var statePath = runs[0].Run is { HasState: true } r0 ? r0.StatePath : null;
            if (Device.type == DeviceType.CUDA && GraphedSteps.Choose(cudaGraphs, _update, statePath))
                _graphed = new GraphedSteps(_objective, _update, Device);
        }
        catch
        {
            _packed?.Dispose();
            _packedOptimizer?.Dispose();
            foreach (var m in members) { m.Lock?.Dispose(); m.Data.Dispose(); m.Optimizer.Dispose(); m.Model.Dispose(); }
            // A failed start leaves no half-made run folder behind.
            for (var i = 0; i < runs.Count; i++)
                if (created[i] && Directory.Exists(runs[i].Run!.Path) && Directory.EnumerateFileSystemEntries(runs[i].Run!.Path).All(f => Path.GetFileName(f) == RunLock.FileName))
                    Directory.Delete(runs[i].Run!.Path, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The members as one packed model: their weights stacked, one Adam over the stacks (its state
    /// stacked from theirs), all in <see cref="FlatAdam"/>'s member-by-member buffers; then each
    /// member's own parameters and moments become views of its row there, so that its checkpoints
    /// and its evaluation read the packed training's values.
    /// </summary>
    static (PackedTransformer, Adam, FlatAdam, TrainingObjective) Pack(IReadOnlyList<TrainingMember> members)
    {
        var states = members.Select(m => m.Optimizer.state_dict()).ToList();
        for (var i = 0; i < members.Count; i++)
        {
            var adamSteps = states[i].State.Cast<Adam.State>().Select(s => s.step).Distinct().ToList();
            if (adamSteps.Count > 1)
                throw new InputException($"{members[i].Run?.StatePath ?? "a run"}: its Adam state has parameters at different steps, which one packed update cannot serve; train this run on its own");
        }
        // Adam's step must stand to the training step alike in every run (it does for runs trained
        // here; a run imported from a kept model starts Adam afresh), so that one packed update serves all.
        long Lead(int i) => ((Adam.State)states[i].State[0]).step - members[i].ResumesAt;
        var behind = Enumerable.Range(0, members.Count).MinBy(i => members[i].ResumesAt);
        var adamStep = ((Adam.State)states[behind].State[0]).step;
        var lr = ((Adam.Options)states[0].Options[0]).LearningRate;
        for (var i = 0; i < members.Count; i++)
        {
            if (Lead(i) != Lead(0))
                throw new InputException($"{members[i].Run?.StatePath ?? "a run"}: its Adam state is at step {((Adam.State)states[i].State[0]).step} at training step {members[i].ResumesAt}, where the pack's first run's is at {((Adam.State)states[0].State[0]).step} at {members[0].ResumesAt}; train it on its own");
            if (((Adam.Options)states[i].Options[0]).LearningRate != lr)
                throw new InputException($"{members[i].Run?.StatePath ?? "a run"}: its Adam learning rate differs from the pack's first run's; train it on its own");
        }
        var packed = new PackedTransformer(members.Select(m => m.Model).ToList());
        var optimizer = optim.Adam(packed.Parameters, lr: lr ?? members[0].Config.Training.LearningRate);
        var packedStates = optimizer.state_dict().State.Cast<Adam.State>().ToList();
        using (no_grad())
        {
            for (var j = 0; j < packedStates.Count; j++)
            {
                var memberStates = states.Select(s => (Adam.State)s.State[j]).ToList();
                packedStates[j].step = adamStep;
                using var expAvg = stack(memberStates.Select(s => s.exp_avg).ToArray());
                using var expAvgSq = stack(memberStates.Select(s => s.exp_avg_sq).ToArray());
                packedStates[j].exp_avg.copy_(expAvg);
                packedStates[j].exp_avg_sq.copy_(expAvgSq);
            }
        }
        var update = new FlatAdam(optimizer, packed.Parameters, members.Count);
        using (no_grad())
        {
            for (var i = 0; i < members.Count; i++)
            {
                var parameters = members[i].Model.parameters().ToList();
                var memberStates = states[i].State.Cast<Adam.State>().ToList();
                for (var j = 0; j < parameters.Count; j++)
                {
                    parameters[j].set_(update.MemberWeights(i, j));
                    memberStates[j].exp_avg.set_(update.MemberExpAvg(i, j));
                    memberStates[j].exp_avg_sq.set_(update.MemberExpAvgSq(i, j));
                }
            }
        }
        return (packed, optimizer, update, new TrainingObjective(packed.Forward, members[0].Data.Task, packed: true, members.Count));
    }

    static void Resume(TrainingMember member, string statePath)
    {
        using var contents = PyTorchCheckpoint.Read(statePath);
        PyTorchCheckpoint.LoadModel(member.Model, contents.Model, statePath);
        // Resuming with fresh Adam moments would not continue the run the folder holds.
        var optimizer = contents.Optimizer ?? throw new InputException(
            $"{statePath}: no optimizer_state_dict: resuming would start Adam afresh, and the run would no longer be the one it continues; evaluate it as it is, or import its weights into a new run (icl import)");
        AdamState.Load(member.Model, member.Optimizer, optimizer, statePath);
        var step = contents.TrainStep ?? throw new InputException($"{statePath}: train_step missing");
        member.SavedStep = step;
    }

    /// <summary>
    /// Trains one step (index <see cref="NextStep"/>) of every member and returns the losses, what
    /// of each member's state went non-finite, and when asked the batch's metric per position
    /// before the update (only on logged steps: it costs a few kernels). A single run's result
    /// deconstructs as <c>var (loss, pointwise) = trainer.Step()</c>.
    /// </summary>
    public StepResult Step(bool pointwise = false)
    {
        var result = StepInScope(pointwise);
        ReleaseImplicitScalars();
        return result;
    }

    /// <summary>The step's prompts: the single run's batch, or every member's stacked along a first dimension.</summary>
    (Tensor xs, Tensor ys) Batch(int step)
    {
        if (_packed is null) return Members[0].Data.Batch(step);
        using var scope = NewDisposeScope();
        var batches = Members.Select(m => m.Data.Batch(step)).ToList();
        return scope.MoveToOuter(stack(batches.Select(b => b.xs).ToArray()), stack(batches.Select(b => b.ys).ToArray()));
    }

    StepResult StepInScope(bool pointwise)
    {
        using var scope = NewDisposeScope();
        if (_graphed is not null)
        {
            var (x, y) = _prefetched ?? Batch(NextStep);
            _prefetched = null;
            using (x) using (y) _graphed.Launch(x, y);
            // The next batch is drawn on the CPU while the GPU runs this step.
            var next = Batch(NextStep + 1);
            _prefetched = (next.xs.DetachFromDisposeScope(), next.ys.DetachFromDisposeScope());
            var graphed = _graphed.Finish(pointwise);
            NextStep++;
            return graphed;
        }
        var (xs, ys) = Batch(NextStep);
        xs = xs.to(Device);
        ys = ys.to(Device);
        foreach (var m in Members) m.Model.train();
        _update.ZeroGrad();
        var (objective, losses, predictions) = _objective.Forward(xs, ys);
        _objective.Backward(objective);
        _update.Step();
        var result = _objective.Result(losses, _update.Health(), pointwise ? predictions.detach() : null, ys);
        NextStep++;
        return result;
    }

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
    /// Trains until <paramref name="totalSteps"/> steps are done (the config's <c>train_steps</c>
    /// by default), calling <paramref name="onStep"/> after each. Returns false when
    /// <paramref name="cancel"/> stopped it (its progress is saved); throws
    /// <see cref="TrainingDivergedException"/> at the first loss or state that is not finite (in a
    /// pack: once the members that did not diverge have finished, naming those that did).
    /// </summary>
    public bool Train(int? totalSteps = null, Action<StepReport>? onStep = null, CancellationToken cancel = default)
    {
        var total = totalSteps ?? Config.Training.TrainSteps;
        foreach (var m in Members) Open(m, total, Math.Max(m.SavedStep ?? -1, NextStep - 1));
        var clock = Stopwatch.StartNew();
        var first = NextStep;
        while (NextStep < total && !cancel.IsCancellationRequested && Members.Any(m => m.Diverged is null))
        {
            var step = NextStep;
            var riding = Members.Select(m => m.ResumesAt > step).ToList();
            var logged = Members.Select((m, i) => !riding[i] && (step % m.Config.Wandb.LogEverySteps == 0 || step == total - 1)).ToList();
            var result = Step(pointwise: Members.Where((m, i) => logged[i] && m.Events != null).Any());
            var curriculum = Members[0].Data.Curriculum;
            var (nPoints, nDims) = (curriculum.NPoints(step), curriculum.NDims(step));
            var seconds = clock.Elapsed.TotalSeconds;
            for (var i = 0; i < Members.Count; i++)
            {
                var m = Members[i];
                if (m.Diverged is not null) continue;
                if (riding[i])
                {
                    if (m.ResumesAt == NextStep) Rejoin(m);
                    continue;
                }
                var loss = result.Losses[i];
                var what = !double.IsFinite(loss) ? $"loss {Number(loss)}"
                    : result.NonFinite[i] is { } state ? $"{state} after the update (loss {Number(loss)})" : null;
                if (what is not null)
                {
                    Diverge(m, step, what);
                    continue;
                }
                var excess = loss / Curriculum.BaselineLoss(nPoints, nDims);
                if (logged[i] && m.Log != null) Record(m, new LogRow(step, loss, excess, nPoints, nDims, seconds), result.Pointwise?[i]);
                if (m.Run != null)
                {
                    var t = m.Config.Training;
                    // The kept snapshot before state.pt: a process killed between the two then resumes
                    // from the previous state and writes the snapshot again, where the other order would
                    // resume past the step and never write it.
                    if (t.KeepEverySteps > 0 && step > 0 && step % t.KeepEverySteps == 0)
                        PyTorchCheckpoint.WriteModel(m.Run.ModelPath(step), m.Model);
                    if (step % t.SaveEverySteps == 0 || NextStep == total) Save(m, step);
                }
            }
            var live = Enumerable.Range(0, Members.Count).Where(i => Members[i].Diverged is null && !riding[i]).ToList();
            if (live.Count == 0)
            {
                if (Members.All(m => m.Diverged is not null)) break;
                continue;
            }
            var shown = live.Average(i => result.Losses[i]);
            onStep?.Invoke(new StepReport(step, total, shown, shown / Curriculum.BaselineLoss(nPoints, nDims), nPoints, nDims, seconds,
                (step - first + 1) / Math.Max(seconds, 1e-9), logged[live[0]], Members.Select((m, i) => m.Diverged is null && !riding[i] ? result.Losses[i] : double.NaN).ToList()));
        }
        // A cancelled run keeps its progress.
        if (cancel.IsCancellationRequested && NextStep > first)
            foreach (var m in Members)
                if (m.Run != null && m.Diverged is null && m.ResumesAt <= NextStep - 1 && m.SavedStep != NextStep - 1) Save(m, NextStep - 1);
        var diverged = Members.Where(m => m.Diverged is not null).ToList();
        if (diverged.Count > 0 && !cancel.IsCancellationRequested)
            throw new TrainingDivergedException(string.Join("\n", diverged.Select(m => m.Diverged)));
        return !cancel.IsCancellationRequested || NextStep >= total;
    }

    /// <summary>A run that rode along in the pack while the others caught up takes its own weights and Adam state back from its state.pt, and trains from here.</summary>
    static void Rejoin(TrainingMember m)
    {
        using var contents = PyTorchCheckpoint.Read(m.Run!.StatePath);
        PyTorchCheckpoint.LoadModel(m.Model, contents.Model, m.Run.StatePath);
        AdamState.Load(m.Model, m.Optimizer, contents.Optimizer!, m.Run.StatePath);
    }

    /// <summary>Readies a member's folder for training to <paramref name="total"/>: its config (raised past train_steps when asked), and once its log (rows after <paramref name="lastStep"/> dropped: they are trained again) and its TensorBoard events.</summary>
    static void Open(TrainingMember m, int total, int lastStep)
    {
        if (m.Run is not { } run) return;
        Directory.CreateDirectory(run.Path);
        var t = m.Config.Training;
        // A run trained past its config's train_steps now aims there: its config says so (reports read it).
        if (total > t.TrainSteps) m.Config = m.Config with { Training = t with { TrainSteps = total } };
        if (!run.HasConfig || total > t.TrainSteps) m.Config.Save(run.ConfigPath);
        m.Log ??= new TrainingLog(run.TrainLogPath, lastStep);
        m.Events ??= Storage(run.Path, () => utils.tensorboard.SummaryWriter(run.Path));
    }

    static void Record(TrainingMember m, LogRow row, double[]? pointwise)
    {
        m.Log!.Append(row);
        Storage(m.Run!.Path, () =>
        {
            var events = m.Events!;
            events.add_scalar("overall_loss", (float)row.Loss, row.Step);
            events.add_scalar("excess_loss", (float)row.ExcessLoss, row.Step);
            events.add_scalar("n_points", row.NPoints, row.Step);
            events.add_scalar("n_dims", row.NDims, row.Step);
            for (var i = 0; i < (pointwise?.Length ?? 0); i++) events.add_scalar($"pointwise/loss_{i}", (float)pointwise![i], row.Step);
            return 0;
        });
    }

    /// <summary>Writes a member's <c>state.pt</c> after step <paramref name="step"/> (its state was checked finite after that step's update).</summary>
    void Save(TrainingMember m, int step)
    {
        // A pack's member keeps its moments in the packed buffers; its own state's step counts follow the pack's.
        if (_packed is not null)
            foreach (Adam.State s in m.Optimizer.state_dict().State) s.step = _update.AdamStep;
        PyTorchCheckpoint.WriteState(m.Run!.StatePath, m.Model, m.Optimizer, step);
        m.SavedStep = step;
    }

    /// <summary>Stops a member whose loss or state went non-finite: alone, it ends training; in a pack, the others train on.</summary>
    void Diverge(TrainingMember m, int step, string what)
    {
        var kept = m.Run is null ? "a test run writes nothing"
            : m.SavedStep is { } s ? $"{m.Run.StatePath} still holds step {s}, the last good checkpoint; rerunning resumes there"
            : "no checkpoint was written";
        var scale = m.Data.Task.Kwargs.TryGetValue("scale", out var sc) ? $", training.task_kwargs.scale {Number(Convert.ToDouble(sc, CultureInfo.InvariantCulture))}" : "";
        var who = Members.Count > 1 ? $" (seed {m.Seed}; the pack's other runs trained on)" : "";
        var message = $"training diverged at step {step}{who}: {what}; {kept}; lower training.learning_rate (now {Number(m.Config.Training.LearningRate)}){scale} or check the data's scale";
        if (Members.Count == 1) throw new TrainingDivergedException(message);
        m.Diverged = message;
        // The run's folder says why it stopped (icl sweep status shows this file).
        if (m.Run is not null) AtomicFile.WriteAllText(m.Run.ErrorPath, $"error: {message}\n");
    }

    static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Runs a write the library does not route through <see cref="AtomicFile"/> (TensorBoard's), turning a failure into one line.</summary>
    static T Storage<T>(string path, Func<T> write)
    {
        try { return write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || e.InnerException is IOException) { throw AtomicFile.StorageError(path, e); }
    }

    /// <summary>Disposes the models, optimizers and data, and releases the run folders' locks.</summary>
    public void Dispose()
    {
        _graphed?.Dispose();
        if (_prefetched is var (px, py)) { px.Dispose(); py.Dispose(); }
        _update.Dispose();
        _packedOptimizer?.Dispose();
        _packed?.Dispose();
        foreach (var m in Members)
        {
            m.Data.Dispose();
            m.Optimizer.Dispose();
            m.Model.Dispose();
            m.Lock?.Dispose();
        }
    }
}
