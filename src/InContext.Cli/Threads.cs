using System.CommandLine;
using InContext;

namespace InContext.Cli;

/// <summary>
/// <c>--threads N</c> on every command: libtorch's threads for one process, so several icl
/// processes (a local sweep's runs, a Slurm node's tasks) share the cores without oversubscribing
/// them. Without it libtorch takes one thread per core (or OMP_NUM_THREADS).
/// </summary>
static class Threads
{
    public static readonly Option<int?> Option = new("--threads") { Description = "Threads for tensor operations (default: one per core, or OMP_NUM_THREADS).", Recursive = true };

    /// <summary>
    /// Threads per processor allowed at most: a little oversubscription is harmless (a script
    /// written for a larger machine still runs), far more only makes the threads wait for each
    /// other (--threads 100000 hung for minutes creating them, printing nothing).
    /// </summary>
    const int PerProcessor = 4;

    public static void Apply(int? threads)
    {
        if (threads is not { } n) return;
        if (n < 1) throw new ParameterException("threads", $"{n}: must be at least 1");
        var processors = Environment.ProcessorCount;
        if (n > PerProcessor * processors)
            throw new ParameterException("threads", $"{n}: at most {PerProcessor * processors}, {PerProcessor} × the {processors} processor{(processors == 1 ? "" : "s")} here (more threads than processors only wait for each other)");
        TorchSharp.torch.set_num_threads(n);
    }
}
