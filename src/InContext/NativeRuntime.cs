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
    /// Makes libtorch's OpenMP threads sleep instead of spinning while they wait. The models
    /// here are small, so a training step is many short kernels; with spinning threads, any
    /// other busy process on a 2-core machine (a test running in parallel, a build) made steps
    /// up to 30 times slower in our measurements, while sleeping threads cost nothing
    /// measurable on an idle machine. A value the user set in the environment wins. Call
    /// before the first tensor is made: OpenMP reads the variable when it loads. (.NET's own
    /// Environment.SetEnvironmentVariable does not reach native code on Linux, hence setenv.)
    /// </summary>
    public static void PreferSleepingThreads()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
    }
}
