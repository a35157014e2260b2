using System.Runtime.InteropServices;

namespace InContext;

/// <summary>
/// Settings for libtorch's native runtime that must be in place before it loads.
/// </summary>
public static partial class NativeRuntime
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>
    /// Bounds how long libtorch's OpenMP threads spin before they sleep. The models here are
    /// small, so a training step is many short kernels. Measured with `icl bench train` (tiny
    /// model, median ms/step) on the project's 2-core machine: alone, libgomp's default spin
    /// 33 ms, 10,000 spins 35 ms, sleeping at once (OMP_WAIT_POLICY=PASSIVE) 54 ms; two training
    /// processes at once, default 218–302 ms with a 90th percentile of 1.5 s, 10,000 spins
    /// 185 ms with 211 ms. Threads of one process contend the same way when tests or baselines
    /// call torch from several threads. A value the user set in the environment wins. Call
    /// before the first tensor is made: OpenMP reads its variables when it loads (.NET's
    /// Environment.SetEnvironmentVariable does not reach native code on Linux, hence setenv).
    /// </summary>
    public static void BoundThreadSpinning()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        SetEnv("GOMP_SPINCOUNT", "10000", overwrite: 0);
    }
}
