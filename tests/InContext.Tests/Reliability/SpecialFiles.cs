using System.Runtime.InteropServices;
using Xunit;

namespace InContext.Tests.Reliability;

/// <summary>Files that are not regular files, made in a test's own folder (never /dev): a FIFO stands for a device.</summary>
static partial class SpecialFiles
{
    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifo(string path, uint mode);

    /// <summary>Makes a named pipe at <paramref name="path"/>; returns the path.</summary>
    public static string Fifo(string path)
    {
        Assert.True(MkFifo(path, 0x1B6 /* 0666 */) == 0, $"mkfifo {path} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return path;
    }
}
