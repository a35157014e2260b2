using System.Runtime.InteropServices;

namespace InContext.Storage;

/// <summary>What a path names, links followed: nothing, a regular file, a folder, or one of the things a writer must not replace.</summary>
public enum FileKind
{
    /// <summary>Nothing at the path (or a link to nothing).</summary>
    Missing,
    /// <summary>A regular file: replaced atomically.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Folder,
    /// <summary>A character device (<c>/dev/null</c>, a terminal): written through.</summary>
    CharacterDevice,
    /// <summary>A block device (a disk): never written.</summary>
    BlockDevice,
    /// <summary>A named pipe (FIFO): written through.</summary>
    Pipe,
    /// <summary>A socket: never written.</summary>
    Socket,
    /// <summary>Anything else the kernel reports.</summary>
    Other,
}

/// <summary>
/// Tells a regular file from a device, a pipe or a socket, which .NET's file API does not
/// (<see cref="File.Exists"/> and <see cref="FileInfo"/> see them all as plain files): asked of
/// the kernel with <c>statx</c>, whose buffer has one layout on every Linux architecture, unlike
/// <c>stat</c>'s. Written by hand because the served package that wraps it (Mono.Unix) was last
/// released in 2021 and brings a native library of its own for this one call. Where there is no
/// statx (Windows, macOS), .NET's own view: a folder, a file, or nothing.
/// </summary>
public static partial class FileKinds
{
    /// <summary>What <paramref name="path"/> names, following links (as opening it would).</summary>
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var buffer = new byte[StatxSize];
                if (Statx(AT_FDCWD, path, 0, STATX_TYPE, buffer) == 0)
                    return (BitConverter.ToUInt16(buffer, StatxModeOffset) & S_IFMT) switch
                    {
                        S_IFREG => FileKind.Regular,
                        S_IFDIR => FileKind.Folder,
                        S_IFCHR => FileKind.CharacterDevice,
                        S_IFBLK => FileKind.BlockDevice,
                        S_IFIFO => FileKind.Pipe,
                        S_IFSOCK => FileKind.Socket,
                        _ => FileKind.Other,
                    };
                // not there, a file on the way, a dangling link, no permission: as .NET sees it below
            }
            catch (EntryPointNotFoundException) { }   // a libc older than statx (glibc 2.28)
        }
        return Directory.Exists(path) ? FileKind.Folder : File.Exists(path) ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>The kind in words, as messages name it: "a pipe (FIFO)", "a character device"...</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "nothing",
        FileKind.Regular => "a regular file",
        FileKind.Folder => "a folder",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Pipe => "a pipe (FIFO)",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };

    const int AT_FDCWD = -100;
    const uint STATX_TYPE = 0x1;
    // struct statx: 256 bytes; stx_mode (u16) at byte 28 (after mask, blksize, attributes, nlink, uid, gid)
    const int StatxSize = 256, StatxModeOffset = 28;
    const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFREG = 0x8000, S_IFBLK = 0x6000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);
}
