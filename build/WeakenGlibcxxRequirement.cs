#nullable enable
using System;
using System.IO;
using System.Linq;
using System.Text;
#if !INCONTEXT_LIBRARY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Marks one GNU symbol-version requirement of an ELF64 shared object as weak, so that the
// dynamic loader accepts the library on a system whose libstdc++ lacks that version.
// See PatchLibTorchSharp.targets for why this is safe for libLibTorchSharp.so.
// This file is also compiled into the InContext library (with INCONTEXT_LIBRARY defined, which
// leaves this MSBuild task out): NativeRuntime.EnsureLibTorchSharpLoads patches in memory with
// the same ElfVersionRequirements code where no build step runs (notebooks).
public class WeakenGlibcxxRequirement : Task
{
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    public string Version { get; set; } = "";
    /// <summary>Patch even when this machine's libstdc++ has the version (the output runs elsewhere).</summary>
    public bool Always { get; set; }

    public override bool Execute()
    {
        if (!Always)
        {
            var system = ElfVersionRequirements.SystemLibstdcxx();
            if (system == null) { Log.LogMessage(MessageImportance.Low, "No system libstdc++ found; nothing to patch."); return true; }
            if (ElfVersionRequirements.Defines(File.ReadAllBytes(system), Version))
            {
                Log.LogMessage(MessageImportance.Low, $"{system} provides {Version}; nothing to patch.");
                return true;
            }
        }
        foreach (var item in Files)
        {
            try
            {
                var n = Patch(item.ItemSpec);
                Log.LogMessage(MessageImportance.Normal, $"{item.ItemSpec}: {Version} requirement marked weak ({n} entr{(n == 1 ? "y" : "ies")} changed).");
            }
            catch (Exception e)
            {
                Log.LogError($"{item.ItemSpec}: could not weaken the {Version} requirement: {e.Message}");
                return false;
            }
        }
        return true;
    }

    int Patch(string path)
    {
        var b = File.ReadAllBytes(path);
        var changed = ElfVersionRequirements.Weaken(b, Version);
        if (changed > 0)
        {
            var tmp = path + ".patching";
            File.WriteAllBytes(tmp, b);
            File.Copy(tmp, path, true);
            File.Delete(tmp);
        }
        return changed;
    }
}
#endif

/// <summary>The GNU symbol-version requirements (<c>.gnu.version_r</c>) of an ELF64 little-endian shared object.</summary>
static class ElfVersionRequirements
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibstdcxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
    };

    /// <summary>The system's libstdc++.so.6, or null when none is at a usual place.</summary>
    public static string? SystemLibstdcxx() => LibstdcxxCandidates.FirstOrDefault(File.Exists);

    /// <summary>Whether a library's bytes name <paramref name="version"/> (a libstdc++ that provides it does).</summary>
    public static bool Defines(byte[] library, string version) => IndexOf(library, Encoding.ASCII.GetBytes(version + "\0")) >= 0;

    /// <summary>Sets VER_FLG_WEAK on every Elf64_Vernaux entry naming <paramref name="version"/>, in place; returns how many it changed.</summary>
    public static int Weaken(byte[] b, string version)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(b, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(b, (int)sh + 0x28), count = BitConverter.ToUInt32(b, (int)sh + 0x2C);
            long strtab = BitConverter.ToInt64(b, (int)(shoff + link * shentsize) + 0x18);
            long vn = offset;
            for (uint i = 0; i < count; i++)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    var name = ReadCString(b, strtab + BitConverter.ToUInt32(b, (int)aux + 8));
                    if (name == version)
                    {
                        ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, (int)aux + 4);
                            changed++;
                        }
                    }
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }
        return changed;
    }

    static string ReadCString(byte[] b, long at)
    {
        int end = (int)at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i <= hay.Length - needle.Length; i++)
        {
            int k = 0;
            while (k < needle.Length && hay[i + k] == needle[k]) k++;
            if (k == needle.Length) return i;
        }
        return -1;
    }
}
