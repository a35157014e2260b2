using System.Runtime.InteropServices;
using System.Text;

namespace InContext.Storage;

/// <summary>
/// One writer per run folder: a trainer, an evaluation writing <c>metrics.json</c>, or an import
/// holds <c>.lock</c> in the folder while it works, and any other process that asks is refused
/// in one line naming the holder. The lock is the kernel's (<c>flock</c>), so a process that is
/// killed releases it: a lock left behind never blocks the next run. Within one process the lock
/// is re-entrant (training evaluates its run at the end under its own lock).
/// <para>
/// Written against libc because .NET's own file locking (a <c>FileShare</c> of the open) would also
/// refuse the waiting process a read of the holder's name.
/// </para>
/// </summary>
public sealed partial class RunLock : IDisposable
{
    /// <summary>The lock file's name in the run folder; it holds the holder's description.</summary>
    public const string FileName = ".lock";

    static readonly Dictionary<string, (RunLock Lock, int Count)> Held = new();
    readonly string _path;
    readonly int _fd;
    readonly FileStream? _fallback;   // where there is no flock (Windows): the OS's own sharing

    RunLock(string path, int fd, FileStream? fallback) { _path = path; _fd = fd; _fallback = fallback; }

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (created if need be) for <paramref name="purpose"/>
    /// (e.g. <c>icl train</c>), or throws an <see cref="InputException"/> naming the process that holds it.
    /// </summary>
    public static RunLock Acquire(string folder, string purpose)
    {
        var path = Path.Combine(Path.GetFullPath(folder), FileName);
        lock (Held)
        {
            if (Held.TryGetValue(path, out var held))
            {
                Held[path] = (held.Lock, held.Count + 1);
                return held.Lock;
            }
            try { Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(Path.GetDirectoryName(path)!, e); }
            var owner = $"process {Environment.ProcessId} on {Environment.MachineName} ({purpose}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC)";
            var taken = OperatingSystem.IsWindows() ? TakeWithFileShare(path, owner) : TakeWithFlock(path, owner);
            Held[path] = (taken, 1);
            return taken;
        }
    }

    static InputException Busy(string path, string? owner) =>
        new($"{Path.GetDirectoryName(path)}: in use by {(string.IsNullOrWhiteSpace(owner) ? "another process" : owner.Trim())}; one process at a time trains, evaluates or imports into a run folder");

    static RunLock TakeWithFlock(string path, string owner)
    {
        var fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0) throw AtomicFile.StorageError(path, new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())));
        if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
        {
            var holder = ReadAll(fd);
            Close(fd);
            throw Busy(path, holder);
        }
        var bytes = Encoding.UTF8.GetBytes(owner + "\n");
        // The holder's name is a courtesy for the next process; failing to write it (a full disk) must not stop the work.
        if (Ftruncate(fd, 0) == 0) WriteAll(fd, bytes);
        return new RunLock(path, fd, null);
    }

    static RunLock TakeWithFileShare(string path, string owner)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(owner + "\n"));
            stream.Flush();
            return new RunLock(path, -1, stream);
        }
        catch (IOException) { throw Busy(path, null); }
    }

    static string ReadAll(int fd)
    {
        var buffer = new byte[512];
        var n = PRead(fd, buffer, (nuint)buffer.Length, 0);
        return n > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n).Split('\n')[0] : "";
    }

    /// <summary>
    /// The first line of <paramref name="folder"/>'s lock file (who holds or last held it), read
    /// without taking any lock: .NET's own file reading takes a shared flock, which would refuse
    /// a process trying to take the lock at that moment. Null when there is no such file.
    /// </summary>
    public static string? ReadHolder(string folder)
    {
        var path = Path.Combine(Path.GetFullPath(folder), FileName);
        if (OperatingSystem.IsWindows()) return null;
        var fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) return null;
        try { return ReadAll(fd) is { Length: > 0 } line ? line.Trim() : null; }
        finally { Close(fd); }
    }

    static void WriteAll(int fd, byte[] bytes) => _ = PWrite(fd, bytes, (nuint)bytes.Length, 0);

    /// <summary>Releases the lock (the last of this process's re-entrant holds does).</summary>
    public void Dispose()
    {
        lock (Held)
        {
            if (!Held.TryGetValue(_path, out var held)) return;
            if (held.Count > 1) { Held[_path] = (held.Lock, held.Count - 1); return; }
            Held.Remove(_path);
            if (_fallback is not null) _fallback.Dispose();
            else Close(_fd);   // closing the descriptor releases the flock; the file stays for the next holder
        }
    }

    const int O_RDONLY = 0x0, O_RDWR = 0x2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, LOCK_EX = 2, LOCK_NB = 4;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, byte[] buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, byte[] buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
