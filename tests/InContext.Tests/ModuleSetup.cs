using System.Runtime.CompilerServices;
using InContext.Native;

namespace InContext.Tests;

static class ModuleSetup
{
    /// <summary>xunit runs test classes in parallel: libtorch's threads must not spin against each
    /// other. Memory as the CLI keeps it.</summary>
    [ModuleInitializer]
    internal static void Init()
    {
        NativeRuntime.BoundThreadSpinning();
        NativeRuntime.KeepFreedMemory();
    }
}
