using System.Text;

namespace InContext.Storage;

/// <summary>
/// Writes a file whole or not at all: into <c>&lt;path&gt;.tmp</c> beside it, flushed to disk,
/// then renamed over the target. A crash or a full disk at any moment leaves the previous file
/// intact and, when the failure is seen, no temporary file behind. Every file the library
/// writes goes through here, and so does the rule for what a path may name: only a regular file
/// is ever replaced. A link is followed (the file it finally names is replaced, the link stays);
/// a pipe or a character device (<c>--out /dev/null</c>, a FIFO) is written through, as a shell's
/// <c>&gt;</c> would; so is a link into <c>/proc</c> (<c>/dev/stdout</c>, <c>/dev/fd/1</c>), which names
/// an open descriptor that replacing the file would not reach; anything else (a folder, a socket,
/// a block device) is refused in one line.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> whole or not at all with what <paramref name="write"/> puts in the stream; a failed write is an <see cref="InputException"/> naming the path.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var (target, through) = Destination(path);
        if (through is not null)
        {
            WriteThrough(target, through, write);
            return;
        }
        var tmp = TempPath(target);
        try
        {
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

    /// <summary>Writes straight into what <paramref name="open"/> opens: there is no file to keep intact.</summary>
    static void WriteThrough(string target, Func<Stream> open, Action<Stream> write)
    {
        try
        {
            using var stream = open();
            write(stream);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw StorageError(target, e); }
    }

    /// <summary>
    /// Where a write of <paramref name="path"/> goes: the regular file (or the name of a new one) that
    /// a chain of links finally names, to be replaced atomically; or, when <c>Through</c> is given,
    /// the pipe, device or descriptor it opens, to write into. Refuses what must not be replaced.
    /// </summary>
    static (string Target, Func<Stream>? Through) Destination(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            var kind = FileKinds.Of(full);
            switch (kind)
            {
                // Appending, as a shell's >> does (on a pipe or a device the same as >); no flock, which means nothing there.
                case FileKind.Pipe or FileKind.CharacterDevice: return (full, () => new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite));
                case FileKind.Folder: throw new InputException($"{full}: is a folder, expected a file name");
                case not (FileKind.Regular or FileKind.Missing):
                    throw new InputException($"{full}: is {FileKinds.Describe(kind)}; only a regular file is replaced (a pipe or a character device is written through)");
            }
            var (target, descriptor) = FinalTarget(full);
            // This process's output redirected to a file (icl ... --out /dev/stdout > file): written with the
            // console's own descriptor, so what goes before and after through it stays in order.
            if (descriptor == 1) return (full, Console.OpenStandardOutput);
            if (descriptor == 2) return (full, Console.OpenStandardError);
            if (descriptor != null) return (full, () => new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite));
            RefuseFilesOnTheWay(Path.GetDirectoryName(target), target);
            return (target, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw StorageError(full, e); }
    }

    /// <summary>Links followed in a row before giving up, as the kernel's own limit (ELOOP).</summary>
    const int MaxLinks = 40;

    /// <summary>
    /// The path a chain of links starting at <paramref name="path"/> finally names (the path itself
    /// when it is no link), and the descriptor (-1 for another file of <c>/proc</c>) when the chain
    /// passes through this process's <c>/proc/self/fd/N</c> (<c>/dev/stdout</c>, <c>/dev/fd/1</c>):
    /// that names an open descriptor, which replacing the file it names would not reach.
    /// </summary>
    static (string Target, int? Descriptor) FinalTarget(string path)
    {
        var start = path;
        int? descriptor = null;
        for (var hops = 0; ; hops++)
        {
            descriptor ??= Descriptor(path) ?? Descriptor(InRealFolder(path));
            if (new FileInfo(path).LinkTarget is not { } link) return (path, descriptor);
            if (hops == MaxLinks) throw new InputException($"{start}: more than {MaxLinks} links in a row (a loop of links?)");
            path = Path.GetFullPath(link, Path.GetDirectoryName(path)!);
        }
    }

    /// <summary><paramref name="path"/> with its folder's own link followed (<c>/dev/fd/1</c> is <c>/proc/self/fd/1</c>).</summary>
    static string InRealFolder(string path) =>
        Path.GetDirectoryName(path) is { } folder && Directory.Exists(folder) && new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true) is { } real
            ? Path.Combine(real.FullName, Path.GetFileName(path)) : path;

    /// <summary>N for <c>/proc/self/fd/N</c> (or this process's id for self), -1 for any other path in <c>/proc</c>, null outside it.</summary>
    static int? Descriptor(string path)
    {
        if (!path.StartsWith("/proc/", StringComparison.Ordinal)) return null;
        var parts = path.Split('/');   // "", "proc", "self", "fd", "N"
        return parts.Length == 5 && (parts[2] is "self" or "thread-self" || parts[2] == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
               && parts[3] == "fd" && int.TryParse(parts[4], out var fd) ? fd : -1;
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
    /// should be, a socket or another thing that is not a regular file (<see cref="AtomicFile"/>
    /// says which are written through), or a file where one of its folders should be.
    /// </summary>
    public static void EnsureWritable(string path) => Destination(path);

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
