using System.Runtime.InteropServices;

namespace InContext.Native;

/// <summary>
/// Settings for libtorch's native runtime that must be in place before it loads.
/// </summary>
public static partial class NativeRuntime
{
    /// <summary>
    /// Which libtorch this build carries: <c>cpu</c>, <c>cuda</c>, or <c>external</c> (none: it runs on
    /// the one <see cref="LibTorchLocation"/> loads). Set by the build's TorchBackend property.
    /// </summary>
    public static string TorchBackend { get; } =
        typeof(NativeRuntime).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "InContext.TorchBackend")?.Value ?? "cpu";

    /// <summary>
    /// What a program that runs without this repository's build step calls first, before its first
    /// tensor (the notebooks' extension, the labs in labs/): bounds libtorch's thread spinning and
    /// keeps freed memory, as <c>icl</c> does at start (<see cref="BoundThreadSpinning"/>,
    /// <see cref="KeepFreedMemory"/>), and loads TorchSharp's libtorch and native library
    /// (<see cref="EnsureLibTorchSharpLoads"/>).
    /// </summary>
    /// <returns>What <see cref="EnsureLibTorchSharpLoads"/> did, in one line.</returns>
    public static string Prepare()
    {
        BoundThreadSpinning();
        KeepFreedMemory();
        return EnsureLibTorchSharpLoads();
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int fd, int target);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    static readonly object StderrLock = new();

    /// <summary>
    /// Runs <paramref name="work"/> with the process's stderr (file descriptor 2) pointed at
    /// /dev/null, for native code that writes there what .NET cannot redirect: Skia's SVG canvas
    /// cannot write dashed or dotted lines, draws them solid, and says so once per line drawn
    /// ("Unsupported path effect in addPaint."), a hundred lines for one figure that would bury
    /// icl's own one-line messages. Managed writes to stderr in that window are lost too, so keep
    /// the work short. Off Linux it just runs the work.
    /// </summary>
    public static T WithoutNativeStderr<T>(Func<T> work)
    {
        if (!OperatingSystem.IsLinux()) return work();
        lock (StderrLock)
        {
            var saved = Dup(2);
            var devNull = OpenFile("/dev/null", 1 /* O_WRONLY */);
            if (saved < 0 || devNull < 0 || Dup2(devNull, 2) < 0)
            {
                if (saved >= 0) Close(saved);
                if (devNull >= 0) Close(devNull);
                return work();
            }
            Close(devNull);
            try { return work(); }
            finally
            {
                Dup2(saved, 2);
                Close(saved);
            }
        }
    }

    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    /// <summary>
    /// Lets CUDA matrix products round their inputs to TensorFloat-32 (10-bit mantissa) on GPUs that
    /// have it: several times the fp32 speed of the matrix units, at about 1e-3 relative error per
    /// product. Off unless asked (<c>--tf32</c>): results then stay fp32 to float rounding
    /// (docs/performance.md has its measured effect on speed and on the loss).
    /// </summary>
    public static void AllowTf32(bool allow) => TorchSharp.torch.backends.cuda.matmul.allow_tf32 = allow;

    /// <summary>
    /// Bounds how long libtorch's OpenMP threads spin before they sleep. The models here are
    /// small, so a training step is many short kernels: threads that sleep at once make each
    /// kernel wait to wake them, threads that spin long starve another process (or another
    /// thread of this one) on a small machine. A bounded spin keeps the first cost and loses the
    /// second (docs/performance.md, "Choices"). A value the user set in the environment wins. Call
    /// before the first tensor is made: OpenMP reads its variables when it loads (.NET's
    /// Environment.SetEnvironmentVariable does not reach native code on Linux, hence setenv).
    /// </summary>
    public static void BoundThreadSpinning()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        SetEnv("GOMP_SPINCOUNT", "10000", overwrite: 0);
    }

    /// <summary>
    /// Lets glibc's malloc keep freed memory for reuse instead of handing it back to the kernel.
    /// A training step frees and allocates the same activation buffers (megabytes each) every
    /// step; by default malloc returns such memory (trimming the heap top, or mapping large blocks
    /// on their own), and each new buffer then costs one page fault per 4 KiB touched. Here blocks
    /// up to 32 MiB stay on the heap and the heap is not trimmed below 512 MiB of free top, which
    /// removes most of a step's page faults (docs/performance.md, "Choices"). A malloc setting the user made
    /// (<c>GLIBC_TUNABLES</c>, <c>MALLOC_*_</c>) wins. Affects the whole process; call it at start.
    /// </summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.")
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try
        {
            MallOpt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's largest allowed value
            MallOpt(M_TRIM_THRESHOLD, 512 << 20);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { }   // not glibc: nothing to tune
    }
}
