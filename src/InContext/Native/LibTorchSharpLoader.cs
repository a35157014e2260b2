using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace InContext.Native;

public static partial class NativeRuntime
{
    const string GlibcxxVersion = "GLIBCXX_3.4.32";
    static int libTorchSharpChecked;

    /// <summary>
    /// For programs where no build step patched TorchSharp's native library: a notebook (the
    /// package's <c>interactive-extensions/dotnet/extension.dib</c> calls this when
    /// <c>#r "nuget: InContext"</c> loads it), or an app built without build/InContext.targets.
    /// On a Linux whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12), loads TorchSharp's
    /// <c>libLibTorchSharp.so</c> with that requirement marked weak, from memory (nothing is
    /// written to disk or to the NuGet cache), before TorchSharp tries: TorchSharp's own load then
    /// finds the library already loaded under its soname. build/PatchLibTorchSharp.targets says why
    /// this is safe. Does nothing off Linux, when libstdc++ has the version, when the copy the app
    /// would load is already patched, when <c>ICL_LIBTORCH</c> chose a libtorch
    /// (<see cref="LibTorchLocation"/>), or after the first call. Call it before the first tensor;
    /// it never throws (if the load fails, TorchSharp reports its own error at the first tensor).
    /// </summary>
    /// <returns>What it did, in words, for a log or a notebook.</returns>
    public static string EnsureLibTorchSharpLoads()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: nothing to do";
        if (LibTorchLocation.LibDirectory is { } chosen) return $"libtorch taken from {chosen}: nothing to do";
        if (Interlocked.Exchange(ref libTorchSharpChecked, 1) == 1) return "already done";
        try { return LoadWeakenedLibTorchSharp(); }
        catch (Exception e) { return $"not loaded: {e.Message}"; }
    }

    static string LoadWeakenedLibTorchSharp()
    {
        var system = ElfVersionRequirements.SystemLibstdcxx();
        if (system is null) return "no system libstdc++ found: nothing to do";
        if (ElfVersionRequirements.Defines(File.ReadAllBytes(system), GlibcxxVersion)) return $"{system} has {GlibcxxVersion}: nothing to do";

        var torchSharp = typeof(TorchSharp.torch).Assembly;   // typeof runs no static constructor
        var original = CandidateDirectories(torchSharp).Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
        if (original is null) return "libLibTorchSharp.so not found";
        var bytes = File.ReadAllBytes(original);
        if (ElfVersionRequirements.Weaken(bytes, GlibcxxVersion) == 0) return $"{original} is already patched";

        // Its dependencies first, resolved as TorchSharp's own load resolves them (the app's
        // native search directories, or the notebook kernel's package resolver), else beside it.
        if (!NativeLibrary.TryLoad("torch", torchSharp, null, out _)
            && !NativeLibrary.TryLoad(Path.Combine(Path.GetDirectoryName(original)!, "libtorch.so"), out _))
            return "libtorch.so not loadable";

        int fd = MemfdCreate("libLibTorchSharp.so", 0);
        if (fd < 0) return "memfd_create failed";
        using (var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite))
        {
            stream.Write(bytes);
            stream.Flush();
            NativeLibrary.Load($"/proc/self/fd/{fd}");
        }
        return $"loaded {original} with {GlibcxxVersion} weak (from memory)";
    }

    /// <summary>Where the app's libLibTorchSharp.so may be: .NET's native search directories, the app's folder, TorchSharp's, and the NuGet cache layout.</summary>
    static IEnumerable<string> CandidateDirectories(Assembly torchSharp)
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string dirs)
            foreach (var d in dirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)) yield return d;
        yield return AppContext.BaseDirectory;
        var here = Path.GetDirectoryName(torchSharp.Location);
        if (!string.IsNullOrEmpty(here))
        {
            yield return here;
            yield return Path.Combine(here, "runtimes", "linux-x64", "native");
            yield return Path.GetFullPath(Path.Combine(here, "..", "..", "runtimes", "linux-x64", "native"));   // ~/.nuget/packages/torchsharp/<v>/lib/net8.0 (notebooks)
        }
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);
}
