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

    public FunctionClass Task { get; }
    public Curriculum Curriculum { get; }

    public TrainingData(RunConfig config)
    {
        _config = config;
        Task = TaskRegistry.Create(config);
        _sampler = new GaussianSampler(config.Model.NDims);
        Curriculum = new Curriculum(config.Training.Curriculum);
        if (config.Training.NumTasks is { } n) _pool = new FunctionPool(Task, n, (long)(StepSeed(config.Training.Seed, -1) >> 1));
    }

    /// <summary>A well-mixed 64-bit seed for (run seed, step) (SplitMix64 finaliser).</summary>
    public static ulong StepSeed(long runSeed, long step)
    {
        var z = unchecked((ulong)runSeed * 0x9E3779B97F4A7C15UL + (ulong)(step + 1) * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The batch of step <paramref name="step"/>: xs <c>[b, n, d]</c> and ys <c>[b, n]</c> on CPU.</summary>
    public (Tensor xs, Tensor ys) Batch(int step)
    {
        using var generator = new Generator(StepSeed(_config.Training.Seed, step));
        var nPoints = Curriculum.NPoints(step);
        var nDims = Curriculum.NDims(step);
        var b = _config.Training.BatchSize;
        Tensor xs;
        FunctionBatch functions;
        if (_config.Training.NumTrainingExamples is { } examples)
        {
            // A finite data set: seed s fixes a prompt's xs and s + 1 its function (SPEC §3).
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
            return (xs, Task.Evaluate(functions, xs, generator));
    }

    public void Dispose() => _pool?.Dispose();
}
