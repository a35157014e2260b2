using System.Text;

namespace InContext.Storage;

/// <summary>
/// Writes a file whole or not at all: into <c>&lt;path&gt;.tmp</c> beside it, flushed to disk,
/// then renamed over the target. A crash or a full disk at any moment leaves the previous file
/// intact and, when the failure is seen, no temporary file behind. Every file the library
/// writes goes through here.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> whole or not at all with what <paramref name="write"/> puts in the stream; a failed write is an <see cref="InputException"/> naming the path.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var target = Path.GetFullPath(path);
        var tmp = TempPath(target);
        try
        {
            EnsureWritable(target);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw StorageError(target, e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>What <see cref="Write"/> appends to the target's name for the file it writes before the rename.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Where <see cref="Write"/> puts <paramref name="target"/>'s bytes before the rename: <c>&lt;target&gt;.tmp</c>.</summary>
    public static string TempPath(string target) => target + TempSuffix;

    /// <summary>
    /// Removes the temporary file a writer of <paramref name="target"/> killed mid-write (kill -9, a
    /// power cut) left. Only a caller that knows no write of the target is in flight may call it
    /// (<see cref="RunFolder.Lock"/> does, for the files written under the run folder's lock). A
    /// link is left alone: this class only ever writes plain files. Best effort: a failure is ignored.
    /// </summary>
    public static void RemoveLeftover(string target)
    {
        var tmp = TempPath(target);
        try
        {
            if (File.Exists(tmp) && new FileInfo(tmp).LinkTarget is null) File.Delete(tmp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Refuses, before any work is done, a path that cannot be written: a folder where the file
    /// should be, or a file where one of its folders should be.
    /// </summary>
    public static void EnsureWritable(string path)
    {
        var target = Path.GetFullPath(path);
        if (Directory.Exists(target)) throw new InputException($"{target}: is a folder, expected a file name");
        RefuseFilesOnTheWay(Path.GetDirectoryName(target), target);
    }

    /// <summary>Refuses, before any work is done, a folder to write files into that cannot be one: a file there or on the way to it.</summary>
    public static void EnsureFolderWritable(string folder)
    {
        var target = Path.GetFullPath(folder);
        RefuseFilesOnTheWay(target, target);
    }

    static void RefuseFilesOnTheWay(string? folder, string target)
    {
        for (var dir = folder; dir != null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir)) throw new InputException($"{dir}: is a file, expected a folder (on the way to {target})");
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark, whole or not at all.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes <paramref name="bytes"/>, whole or not at all.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>
    /// A failed read or write as one line naming the path: <c>no space left on device</c>,
    /// <c>permission denied</c>, or the system's own first line.
    /// </summary>
    public static InputException StorageError(string path, Exception e) => e switch
    {
        InputException input => input,
        _ when IsDiskFull(e) => new InputException($"{path}: no space left on device", e),
        UnauthorizedAccessException => new InputException($"{path}: permission denied", e),
        DirectoryNotFoundException => new InputException($"{path}: a folder on the way does not exist or is a file", e),
        _ => new InputException($"{path}: {FirstLine(e.Message)}", e),
    };

    // .NET reports an errno it has no exception type for as the HResult of an IOException.
    const int ENOSPC = 28, EDQUOT = 122;

    static bool IsDiskFull(Exception e) =>
        e is IOException { HResult: ENOSPC or EDQUOT } || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || e.InnerException is { } inner && IsDiskFull(inner);

    static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        // .NET appends " : 'path'" to system errors; the path is already named.
        var quoted = line.IndexOf(" : '", StringComparison.Ordinal);
        return quoted > 0 ? line[..quoted] : line;
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
