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

    public static void Apply(int? threads)
    {
        if (threads is not { } n) return;
        if (n < 1) throw new ParameterException("threads", $"{n}: must be at least 1");
        TorchSharp.torch.set_num_threads(n);
    }
}
