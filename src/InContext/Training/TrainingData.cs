using InContext.Config;
using InContext.Sampling;
using InContext.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>
/// The training prompts of a run. Each step's batch is drawn from a generator seeded by
/// (run seed, step) alone, so the data of step t never depends on what ran before: a resumed
/// run sees exactly the batches an uninterrupted run would, with no random state to save.
/// </summary>
public sealed class TrainingData : IDisposable
{
    readonly RunConfig _config;
    readonly GaussianSampler _sampler;
    readonly FunctionPool? _pool;

    /// <summary>The function class the prompts are drawn from.</summary>
    public FunctionClass Task { get; }
    /// <summary>The curriculum: how many points and active dims each step's prompts have.</summary>
    public Curriculum Curriculum { get; }

    /// <summary>The training prompts of <paramref name="config"/>: its class, its curriculum, and its pool of functions or finite set of prompts, if any.</summary>
    public TrainingData(RunConfig config)
    {
        _config = config;
        Task = config.CreateTask();
        _sampler = new GaussianSampler(config.Model.NDims);
        Curriculum = new Curriculum(config.Training.Curriculum);
        _pool = config.CreateTaskPool(Task);
    }

    /// <summary>The batch of step <paramref name="step"/>: xs <c>[b, n, d]</c> and ys <c>[b, n]</c> on CPU.</summary>
    public (Tensor xs, Tensor ys) Batch(int step)
    {
        // Its own scope: a caller without one (a notebook) would otherwise leave the sampling's
        // temporaries to the GC, which may finalize one while libtorch still reads it.
        using var scope = NewDisposeScope();
        using var generator = new Generator(Seeds.Batch(_config.Training.Seed, step));
        var nPoints = Curriculum.NPoints(step);
        var nDims = Curriculum.NDims(step);
        var b = _config.Training.BatchSize;
        Tensor xs;
        FunctionBatch functions;
        if (_config.Training.NumTrainingExamples is { } examples)
        {
            // A finite data set: seed s fixes a prompt's xs and s + 1 its function.
            using var order = randperm(examples, generator: generator);
            var seeds = order.narrow(0, 0, b).data<long>().ToArray();
            xs = _sampler.SampleFromSeeds(nPoints, seeds, nDims);
            functions = Task.SampleFunctionsFromSeeds(seeds.Select(s => s + 1).ToArray(), nDims);
        }
        else
        {
            xs = _sampler.Sample(nPoints, b, generator, nDims);
            functions = _pool?.Draw(b, generator) ?? Task.SampleFunctions(b, generator, nDims);
        }
        using (functions)
            return scope.MoveToOuter(xs, Task.Evaluate(functions, xs, generator));
    }

    /// <summary>Disposes the pool of functions, if any.</summary>
    public void Dispose() => _pool?.Dispose();
}
