using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
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
    /// On Linux, first loads the libtorch of TorchSharp's packages by full path (libc10.so,
    /// libtorch_cpu.so, libtorch.so), so that every later load by name binds to it and not to
    /// another libtorch on the system's library path (Debian's libtorch-dev puts libtorch 1.13
    /// there, and TorchSharp's glue then fails with "undefined symbol"). Then, on a Linux whose
    /// libstdc++ lacks GLIBCXX_3.4.32 (Debian 12), loads TorchSharp's <c>libLibTorchSharp.so</c>
    /// with that requirement marked weak, from memory (nothing is written to disk or to the NuGet
    /// cache), before TorchSharp tries: TorchSharp's own load then finds the library already loaded
    /// under its soname. build/PatchLibTorchSharp.targets says why this is safe. Does nothing off
    /// Linux, when <c>ICL_LIBTORCH</c> chose a libtorch (<see cref="LibTorchLocation"/>), or after
    /// the first call. Call it before the first tensor; it never throws (if the load fails,
    /// TorchSharp reports its own error at the first tensor).
    /// </summary>
    /// <returns>What it did, in words, for a log or a notebook: one line, which names the libtorch
    /// found when it is not one TorchSharp runs on.</returns>
    public static string EnsureLibTorchSharpLoads()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: nothing to do";
        if (LibTorchLocation.LibDirectory is { } chosen) return $"libtorch taken from {chosen}: nothing to do";
        if (Interlocked.Exchange(ref libTorchSharpChecked, 1) == 1) return "already done";
        try
        {
            var torchSharp = typeof(TorchSharp.torch).Assembly;   // typeof runs no static constructor
            var libTorch = LoadTorchSharpsLibTorch(torchSharp, out var usable);
            return usable ? $"{libTorch}; {LoadWeakenedLibTorchSharp(torchSharp)}" : libTorch;
        }
        catch (Exception e) { return $"not loaded: {e.Message}"; }
    }

    /// <summary>The libtorch files in the order they depend on each other (each needs the ones before it).</summary>
    static readonly string[] LibTorchFiles = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    /// <summary>
    /// Loads the libtorch that TorchSharp's packages bring, by full path. By name ("torch", as
    /// TorchSharp asks) a notebook kernel gets the system's libtorch when there is one: .NET probes
    /// the app's folders, then the loader's search path (LD_LIBRARY_PATH, /usr/lib), and only then
    /// asks the kernel's package resolver. <paramref name="usable"/> is false, and the line says
    /// which libtorch was found, when it is neither TorchSharp's nor of a version TorchSharp runs on.
    /// </summary>
    static string LoadTorchSharpsLibTorch(Assembly torchSharp, out bool usable)
    {
        usable = true;
        var own = TorchSharpsLibTorchDirectory(torchSharp);
        var loaded = LoadedLibTorch();
        if (own is not null && (loaded is null || Path.GetDirectoryName(loaded) == LibTorchLocation.RealPath(own)))
        {
            foreach (var file in LibTorchFiles)
                LibTorchLocation.Open(Path.Combine(own, file), LibTorchLocation.RTLD_LAZY, message => new InvalidOperationException($"cannot load {file}: {message}"));
            return $"libtorch{(PackageFolderVersion(own) is { } v ? " " + v : "")} from {own}";
        }
        if (loaded is null)
        {
            // TorchSharp's packages are not where they would be: whatever the loader finds by name.
            if (!NativeLibrary.TryLoad("torch", torchSharp, null, out _))
                throw new InvalidOperationException($"no libtorch found: neither TorchSharp's package {LibTorchPackage} nor libtorch.so on the library path");
            loaded = LoadedLibTorch()!;
        }
        var version = VersionOf(loaded);
        if (version is not null && LibTorchLocation.KnownVersions.Contains(LibTorchLocation.MajorMinor(version)))
            return $"libtorch {version} from {loaded}";
        usable = false;
        return $"the libtorch found is {loaded} ({(version is null ? "of unknown version" : $"libtorch {version}")}), not TorchSharp's: "
            + $"TorchSharp {torchSharp.GetName().Version?.ToString(3)} needs libtorch {LibTorchLocation.ExpectedVersion()}, and tensors will fail (\"undefined symbol\"); "
            + $"restore TorchSharp's package {LibTorchPackage}, or take that libtorch off the library path";
    }

    /// <summary>The package that brings TorchSharp-cpu's libtorch for Linux.</summary>
    const string LibTorchPackage = "libtorch-cpu-linux-x64";

    /// <summary>The libtorch already mapped into this process (the real path of its libtorch.so, else
    /// of libtorch_cpu.so or libc10.so), or null.</summary>
    static string? LoadedLibTorch() =>
        LibTorchLocation.MappedFiles()
            .Select(p => (Path: p, Match: LibTorchFileName().Match(Path.GetFileName(p))))
            .Where(m => m.Match.Success)
            .OrderBy(m => m.Match.Groups[1].Value switch { "torch" => 0, "torch_cpu" => 1, _ => 2 })
            .Select(m => m.Path).FirstOrDefault();

    /// <summary>libtorch.so, libtorch_cpu.so, libc10.so, with a version suffix where a distribution adds one (libtorch.so.1.13).</summary>
    [GeneratedRegex(@"^lib(torch|torch_cpu|c10)\.so(?:\.([0-9][0-9.]*))?$")]
    private static partial Regex LibTorchFileName();

    /// <summary>
    /// The folder of TorchSharp's libtorch: beside the app's libLibTorchSharp.so (an app's output
    /// folder), or the package's in the NuGet cache, beside TorchSharp's own package, where a
    /// notebook kernel takes TorchSharp.dll from (packages/torchsharp/0.107.0/lib/net8.0/ and
    /// packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native/). Null when neither has it.
    /// </summary>
    static string? TorchSharpsLibTorchDirectory(Assembly torchSharp)
    {
        var candidates = CandidateDirectories(torchSharp).ToList();
        var here = Path.GetDirectoryName(torchSharp.Location);
        if (!string.IsNullOrEmpty(here) && LibTorchLocation.LibTorchPackageVersion() is { } version)
            candidates.Add(Path.Combine(here, "..", "..", "..", "..", LibTorchPackage, version, "runtimes", "linux-x64", "native"));
        return candidates.Select(d => Path.GetFullPath(d).TrimEnd('/')).FirstOrDefault(d => LibTorchFiles.All(f => File.Exists(Path.Combine(d, f))));
    }

    /// <summary>The version of a libtorch package's native folder (…/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native), or null.</summary>
    static string? PackageFolderVersion(string nativeDirectory)
    {
        var versionDir = Path.GetFullPath(Path.Combine(nativeDirectory, "..", "..", ".."));
        var package = Path.GetFileName(Path.GetDirectoryName(versionDir));
        return package is not null && package.StartsWith("libtorch-", StringComparison.Ordinal) ? Path.GetFileName(versionDir) : null;
    }

    /// <summary>
    /// The version a loaded libtorch shows: its package folder's, the one its folder declares
    /// (<see cref="LibTorchLocation.DetectVersion"/>), or the one in its file name (Debian's
    /// /usr/lib/x86_64-linux-gnu/libtorch.so.1.13); null when none does.
    /// </summary>
    static string? VersionOf(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        var suffix = LibTorchFileName().Match(Path.GetFileName(path)).Groups[2].Value;
        return PackageFolderVersion(dir) ?? LibTorchLocation.DetectVersion(dir) ?? (suffix.Length > 0 ? suffix : null);
    }

    static string LoadWeakenedLibTorchSharp(Assembly torchSharp)
    {
        var system = ElfVersionRequirements.SystemLibstdcxx();
        if (system is null) return "no system libstdc++ found: nothing to patch";
        if (ElfVersionRequirements.Defines(File.ReadAllBytes(system), GlibcxxVersion)) return $"{system} has {GlibcxxVersion}: nothing to patch";

        var original = CandidateDirectories(torchSharp).Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
        if (original is null) return "libLibTorchSharp.so not found";
        var bytes = File.ReadAllBytes(original);
        if (ElfVersionRequirements.Weaken(bytes, GlibcxxVersion) == 0) return $"{original} is already patched";

        // Its dependencies (libtorch.so, libc10.so, libtorch_cpu.so) are loaded: glibc binds its
        // needed names to them by soname (from memory, its $ORIGIN finds nothing).
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
