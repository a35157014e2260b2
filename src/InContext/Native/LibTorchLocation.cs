using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;

namespace InContext.Native;

/// <summary>
/// Makes TorchSharp use a libtorch chosen at run time (<c>ICL_LIBTORCH=DIR</c>) instead of the one
/// shipped with the app, e.g. a PyTorch pip install's <c>torch/lib</c> with CUDA.
///
/// Linux only. What it does:
/// 1. (CUDA folders) what torch/__init__.py does first: libtorch_global_deps.so RTLD_GLOBAL, and
///    the pip wheels' nvJitLink/nvrtc, best effort.
/// 2. dlopen DIR's libc10.so, libtorch_cpu.so, [libc10_cuda.so, libtorch_cuda.so], libtorch.so by
///    absolute path. Their SONAMEs are the bare file names, so from then on every DT_NEEDED
///    "libtorch_cpu.so" in the process (libLibTorchSharp.so's too) binds to these copies: glibc
///    matches a needed name against the SONAMEs of loaded objects before it searches RUNPATH.
/// 3. dlopen the app's libLibTorchSharp.so with RTLD_NOW: every symbol it imports is bound now, so
///    a libtorch that lacks one fails here with one line. (.NET loads with RTLD_LAZY: a missing
///    function would kill the process at its first call, "symbol lookup error", exit 127.)
/// 4. A DllImportResolver for TorchSharp's assembly hands its [DllImport("LibTorchSharp")] calls
///    that checked handle.
/// What it cannot fix: TorchSharp's static constructor (torch.CPU = InitializeDevice(...) ->
/// LoadNativeBackend) calls NativeLibrary.TryLoad("torch_cpu", typeof(torch).Assembly, null), and
/// TryLoad(name, assembly, path) does NOT consult DllImportResolvers (measured): its default probing
/// dlopens the first libtorch_cpu.so in .NET's native search path by absolute path. If the build
/// ships one there (TorchSharp-cpu puts it in runtimes/linux-x64/native), glibc maps a second
/// libtorch_cpu.so, whose static initialisers abort the process ("Tried to register multiple
/// backend fallbacks for the same dispatch key Conjugate"). So this needs a build without libtorch
/// in that path, the <c>external</c> backend (<c>-p:TorchBackend=external</c>: TorchSharp alone); Use
/// refuses, with one line, a build that carries one. TryLoad then
/// finds no file, falls back to dlopen("libtorch_cpu.so"), and glibc answers with the loaded copy.
/// Call before anything touches TorchSharp (after NativeRuntime.BoundThreadSpinning: libgomp reads
/// GOMP_SPINCOUNT when it loads). On failure the process should exit: libraries stay loaded.
/// Failures are <see cref="InputException"/>s: one line naming the folder and what is wrong.
/// </summary>
public static partial class LibTorchLocation
{
    /// <summary>The environment variable naming the libtorch folder to use (or <c>python</c>: the installed PyTorch's).</summary>
    public const string EnvironmentVariable = "ICL_LIBTORCH";
    /// <summary>The environment variable that, set to 1 or true, lets a libtorch version TorchSharp is not known to run on be tried anyway.</summary>
    public const string AnyVersionVariable = "ICL_LIBTORCH_ANY_VERSION";

    /// <summary>The folder the libraries were loaded from, or null when the app's own libtorch is used.</summary>
    public static string? LibDirectory { get; private set; }
    /// <summary>The libtorch version the folder declares (e.g. "2.11.0+cu130"), or null if it declares none.</summary>
    public static string? Version { get; private set; }
    /// <summary>Whether the libtorch folder in use has CUDA (<c>libtorch_cuda.so</c>).</summary>
    public static bool HasCuda { get; private set; }

    static nint _torchCpu, _torchCuda, _libTorchSharp;

    /// <summary>The value of <c>ICL_LIBTORCH</c> that asks for the libtorch of the <c>torch</c> package the Python on the PATH imports.</summary>
    public const string FromPython = "python";

    /// <summary>The libtorch versions TorchSharp 0.107 was run on here (2.10, its own; 2.11, which provides every symbol it needs).</summary>
    public static readonly string[] KnownVersions = ["2.10", "2.11"];

    /// <summary>
    /// What a program calls at start, before the first tensor: applies <c>ICL_LIBTORCH</c> when set
    /// (a folder, or <c>python</c>); a build without a libtorch of its own (the <c>external</c>
    /// backend) needs it and says so in one line. Returns the folder used, or null for the build's own.
    /// </summary>
    public static string? UseFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (NativeRuntime.TorchBackend == "external")
                throw new InputException($"this icl was built without a libtorch of its own (TorchBackend=external): set {EnvironmentVariable} to a libtorch folder (an installed PyTorch's torch/lib) or to '{FromPython}'");
            return null;
        }
        var anyVersion = Environment.GetEnvironmentVariable(AnyVersionVariable) is "1" or "true";
        var dir = value.Trim() == FromPython ? PythonTorchLib() : value;
        Use(dir, anyVersion, $"{EnvironmentVariable}={value}");
        return LibDirectory;
    }

    /// <summary>The torch/lib folder of the torch package that python3 (or $ICL_PYTHON) finds, without importing torch.</summary>
    static string PythonTorchLib()
    {
        var python = Environment.GetEnvironmentVariable("ICL_PYTHON") ?? "python3";
        var start = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')" })
            start.ArgumentList.Add(a);
        try
        {
            using var p = System.Diagnostics.Process.Start(start)!;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            if (p.ExitCode != 0 || output.Length == 0)
                throw new InputException($"{EnvironmentVariable}={FromPython}: {python} has no torch package (pip install torch, or set {EnvironmentVariable} to a libtorch folder)");
            return Path.Combine(output, "lib");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InputException($"{EnvironmentVariable}={FromPython}: no {python} on the PATH (set ICL_PYTHON, or {EnvironmentVariable} to a libtorch folder)");
        }
    }

    /// <summary>
    /// Loads libtorch from <paramref name="dir"/> (the folder holding libtorch_cpu.so, or a folder
    /// whose lib/ or torch/lib/ does) and makes TorchSharp use it. Throws an InputException
    /// with a one-line message when it cannot.
    /// </summary>
    public static void Use(string dir, bool allowOtherVersion = false, string? origin = null)
    {
        origin ??= $"libtorch folder {dir}";
        Exception Fail(string what) => new InputException($"{origin}: {what}");

        if (!OperatingSystem.IsLinux())
            throw Fail("choosing libtorch at run time is implemented for Linux only");

        var lib = FindLibDirectory(Path.GetFullPath(dir))
            ?? throw Fail("no libtorch_cpu.so there, nor in its lib/ or torch/lib/; point it at the folder that holds libtorch_cpu.so, libc10.so and libtorch.so (for a pip install: .../site-packages/torch/lib)");
        if (LibDirectory != null)
        {
            if (LibDirectory == lib) return;
            throw Fail($"libtorch was already taken from {LibDirectory}");
        }

        var missing = new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }.Where(f => !File.Exists(Path.Combine(lib, f))).ToList();
        if (missing.Count > 0) throw Fail($"{lib} lacks {string.Join(", ", missing)}");
        var hasCuda = File.Exists(Path.Combine(lib, "libtorch_cuda.so"));
        if (hasCuda && !File.Exists(Path.Combine(lib, "libc10_cuda.so"))) throw Fail($"{lib} has libtorch_cuda.so but lacks libc10_cuda.so");

        // Too late if TorchSharp (or anyone) already has a libtorch in the process.
        // /proc/self/maps names files by their real paths: compare real paths.
        var realLib = RealPath(lib);
        var loaded = MappedFiles().FirstOrDefault(p => Path.GetFileName(p) == "libtorch_cpu.so");
        if (loaded != null && loaded != RealPath(Path.Combine(lib, "libtorch_cpu.so")))
            throw Fail($"TorchSharp already loaded {loaded}; choose the libtorch before the first tensor is made");

        // A build that carries libtorch where .NET probes (TorchSharp-cpu puts it in
        // runtimes/linux-x64/native) cannot switch: TorchSharp's static constructor calls
        // NativeLibrary.TryLoad("torch_cpu", typeof(torch).Assembly, null), which ignores
        // DllImportResolvers and dlopens that file by path: a second libtorch_cpu.so in the process,
        // whose static initialisers abort it ("Tried to register multiple backend fallbacks ...").
        var probed = NativeSearchDirectories().FirstOrDefault(d => RealPath(d) != realLib && File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        if (probed != null)
            throw Fail($"this build carries its own libtorch in {probed}, which TorchSharp would load beside the chosen one; a build without one is made with -p:TorchBackend=external (the README's GPU section)");

        var version = DetectVersion(lib);
        var expected = ExpectedVersion();   // "2.10" for TorchSharp 0.107
        if (!allowOtherVersion && (version is null || !KnownVersions.Contains(MajorMinor(version))))
            throw Fail($"{(version is null ? "a libtorch of unknown version (no version.py or build-version beside it)" : $"libtorch {version}")}; TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)} is built for libtorch {expected}.x and runs on {string.Join(" and ", KnownVersions.Select(v => v + ".x"))}; set {AnyVersionVariable}=1 to try this one anyway");

        var libTorchSharp = FindAppLibTorchSharp()
            ?? throw Fail("the app has no libLibTorchSharp.so (looked beside TorchSharp.dll and in the deps.json native folders)");

        // 1. libtorch itself, dependencies first (each one's RUNPATH $ORIGIN would find the rest too,
        // but one at a time names the file that fails).
        var order = hasCuda
            ? new[] { "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so" }
            : new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" };
        var handles = new Dictionary<string, nint>();
        if (hasCuda) PreloadCudaGlobalDeps(lib, version);
        foreach (var file in order)
            handles[file] = Open(Path.Combine(lib, file), RTLD_LAZY, msg => Fail($"cannot load {file}: {msg}"));

        // 2. TorchSharp's glue, with every import bound now: a missing symbol is an error here.
        var glue = Open(libTorchSharp, RTLD_NOW, msg => Fail(
            msg.Contains("undefined symbol", StringComparison.Ordinal)
                ? $"this libtorch{(version != null ? $" ({version})" : "")} lacks a function TorchSharp's {Path.GetFileName(libTorchSharp)} needs ({Shorten(msg)}); it needs libtorch {expected ?? "of its own version"}"
                : $"cannot load {libTorchSharp}: {msg}"));

        _torchCpu = handles["libtorch_cpu.so"];
        _torchCuda = hasCuda ? handles["libtorch_cuda.so"] : 0;
        _libTorchSharp = glue;
        // 3. TorchSharp's [DllImport("LibTorchSharp")] calls ask this resolver first: they bind to the
        // handle checked above. (Throws InvalidOperationException if a resolver is already set for
        // TorchSharp's assembly; TorchSharp 0.107 sets none.)
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);

        // The libraries in use must be ours; nothing from the app folder's libtorch.
        var ours = order.Select(f => RealPath(Path.Combine(lib, f))).ToHashSet();
        var dups = MappedFiles().Where(p => Path.GetFileName(p) is "libtorch_cpu.so" or "libc10.so" or "libtorch.so" or "libtorch_cuda.so" or "libc10_cuda.so")
                                .Where(p => !ours.Contains(p)).ToList();
        if (dups.Count > 0) throw Fail($"another libtorch got mapped as well: {string.Join(", ", dups)}");

        LibDirectory = lib;
        Version = version;
        HasCuda = hasCuda;
    }

    /// <summary>
    /// What torch/__init__.py's _load_global_deps does before it loads libtorch (PyTorch 2.x,
    /// Linux): libtorch_global_deps.so with RTLD_GLOBAL (an empty library whose DT_NEEDED are the CUDA
    /// libraries: cudart, cublas, ...), then, best effort, the pip wheels' libnvJitLink and libnvrtc
    /// (cusparse needs nvJitLink without an RPATH to it; cuDNN dlopens nvrtc by name). Failures are
    /// ignored here, as torch ignores them: libtorch_cuda.so's own load then names what is missing.
    /// </summary>
    static void PreloadCudaGlobalDeps(string lib, string? version)
    {
        var globalDeps = Path.Combine(lib, "libtorch_global_deps.so");
        if (File.Exists(globalDeps)) { DlError(); DlOpen(globalDeps, RTLD_LAZY | RTLD_GLOBAL); }
        // Only with a pip layout whose CUDA major is known ("2.11.0+cu130" -> 13): a site-packages
        // may hold the nvidia wheels of two CUDA majors.
        var cu = version is null ? null : Regex.Match(version, @"\+cu(\d+)\d$");
        if (cu is not { Success: true }) return;
        var nvidia = Path.GetFullPath(Path.Combine(lib, "..", "..", "nvidia"));   // site-packages/nvidia
        if (!Directory.Exists(nvidia)) return;
        foreach (var prefix in new[] { "libnvJitLink.so." + cu.Groups[1].Value, "libnvrtc.so." + cu.Groups[1].Value })
        {
            var found = Directory.EnumerateDirectories(nvidia)
                .Select(d => Path.Combine(d, "lib"))
                .Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, prefix + "*"))
                .Where(f => char.IsDigit(f[^1]) && !f.Contains("builtins"))
                .OrderBy(f => f, StringComparer.Ordinal)
                .FirstOrDefault();
            if (found != null) DlOpen(found, RTLD_LAZY | RTLD_GLOBAL);
        }
    }

    // TorchSharp only asks for "LibTorchSharp" through DllImport; NativeLibrary.TryLoad never comes
    // here (see the class remarks). The other names are answered for completeness.
    static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        "LibTorchSharp" or "libLibTorchSharp" or "libLibTorchSharp.so" => _libTorchSharp,
        "torch_cpu" or "libtorch_cpu" or "libtorch_cpu.so" => _torchCpu,
        "torch_cuda" or "libtorch_cuda" or "libtorch_cuda.so" => _torchCuda,   // 0 (default probing) without CUDA
        _ => 0,
    };

    static string? FindLibDirectory(string dir)
    {
        foreach (var d in new[] { dir, Path.Combine(dir, "lib"), Path.Combine(dir, "torch", "lib") })
            if (File.Exists(Path.Combine(d, "libtorch_cpu.so"))) return Path.GetFullPath(d).TrimEnd('/');
        return null;
    }

    /// <summary>
    /// The version a libtorch folder declares, or null: a pip install has torch/version.py
    /// (<c>__version__ = '2.11.0+cu130'</c>) beside torch/lib; the libtorch zip has build-version
    /// (<c>2.10.0+cpu</c>) one level above lib/; both ship include/torch/version.h
    /// (<c>#define TORCH_VERSION "2.10.0"</c>, no local part) in torch/include or libtorch/include.
    /// NuGet's libtorch-* packages declare none (and the .so files hold no version string).
    /// </summary>
    public static string? DetectVersion(string lib)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(lib).TrimEnd('/')) ?? lib;
        var versionPy = Path.Combine(root, "version.py");
        if (File.Exists(versionPy))
        {
            var m = Regex.Match(File.ReadAllText(versionPy), @"^__version__\s*(?::\s*str\s*)?=\s*['""]([^'""]+)['""]", RegexOptions.Multiline);
            if (m.Success) return m.Groups[1].Value;
        }
        var buildVersion = Path.Combine(root, "build-version");
        if (File.Exists(buildVersion))
        {
            var v = File.ReadLines(buildVersion).FirstOrDefault()?.Trim();
            if (!string.IsNullOrEmpty(v) && char.IsDigit(v[0])) return v;
        }
        var header = Path.Combine(root, "include", "torch", "csrc", "api", "include", "torch", "version.h");
        if (File.Exists(header))
        {
            var m = Regex.Match(File.ReadAllText(header), @"#define\s+TORCH_VERSION\s+""([^""]+)""");
            if (m.Success) return m.Groups[1].Value;
        }
        return null;
    }

    /// <summary>"2.10" for TorchSharp 0.107 (its private const libtorchPackageVersion "2.10.0.0";
    /// read by reflection so that TorchSharp's type initialiser does not run).</summary>
    public static string? ExpectedVersion() => RawLibTorchPackageVersion() is { } v ? MajorMinor(v) : null;

    /// <summary>The version of TorchSharp's libtorch packages as the NuGet cache names their folders
    /// ("2.10.0" for TorchSharp 0.107's "2.10.0.0": NuGet drops a fourth part that is 0).</summary>
    internal static string? LibTorchPackageVersion() =>
        RawLibTorchPackageVersion() is { } v ? Regex.Replace(v, @"^(\d+\.\d+\.\d+)\.0$", "$1") : null;

    static string? RawLibTorchPackageVersion() =>
        typeof(torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() as string;

    internal static string MajorMinor(string version)
    {
        var m = Regex.Match(version, @"^(\d+)\.(\d+)");
        return m.Success ? $"{m.Groups[1].Value}.{m.Groups[2].Value}" : version;
    }

    /// <summary>The app's libLibTorchSharp.so: beside TorchSharp.dll (a RID-specific or self-contained
    /// build) or in one of the deps.json native folders (runtimes/linux-x64/native of a portable build).</summary>
    static string? FindAppLibTorchSharp() =>
        NativeSearchDirectories().Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);

    /// <summary>Where .NET's default probing looks for a native library of TorchSharp's: the deps.json
    /// native folders (NATIVE_DLL_SEARCH_DIRECTORIES: runtimes/linux-x64/native of a portable build,
    /// the app folder, the framework folder) and TorchSharp.dll's folder.</summary>
    static List<string> NativeSearchDirectories()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string s)
            dirs.AddRange(s.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var asmDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir)) dirs.Add(asmDir);
        return dirs.Select(d => Path.GetFullPath(d).TrimEnd('/')).Distinct().ToList();
    }

    /// <summary>Paths of the files mapped into this process, from /proc/self/maps (distinct, in order).</summary>
    public static IReadOnlyList<string> MappedFiles()
    {
        if (!File.Exists("/proc/self/maps")) return [];
        return File.ReadLines("/proc/self/maps")
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 6 && p[5].StartsWith('/'))
            .Select(p => p[5].Trim()).Distinct().ToList();
    }

    static string Shorten(string dlerror)
    {
        var i = dlerror.IndexOf("undefined symbol", StringComparison.Ordinal);
        return i >= 0 ? dlerror[i..] : dlerror;
    }

    /// <summary>realpath(3): symbolic links resolved all along the path, as /proc/self/maps shows it.</summary>
    internal static string RealPath(string path)
    {
        var p = RealPathNative(path, 0);
        if (p == 0) return Path.GetFullPath(path);
        try { return Marshal.PtrToStringUTF8(p)!; } finally { Free(p); }
    }

    internal const int RTLD_LAZY = 0x1, RTLD_NOW = 0x2, RTLD_GLOBAL = 0x100;

    [LibraryImport("libc.so.6", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc.so.6", EntryPoint = "free")]
    private static partial void Free(nint p);


    /// <summary>dlopen(3) of <paramref name="path"/>; when it fails, throws what <paramref name="fail"/> makes of dlerror's message (one line).</summary>
    internal static nint Open(string path, int flags, Func<string, Exception> fail)
    {
        // Bind dlerror's P/Invoke (and clear any stale error) first: binding it later would call
        // dlopen/dlsym inside the runtime and wipe the message we want.
        DlError();
        var h = DlOpen(path, flags);
        if (h != 0) return h;
        var err = Marshal.PtrToStringUTF8(DlError()) ?? "dlopen failed";
        throw fail(err.ReplaceLineEndings(" "));
    }

    // libdl.so.2 exists on every glibc (a stub forwarding to libc since 2.34).
    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string path, int flags);

    [LibraryImport("libdl.so.2", EntryPoint = "dlerror")]
    private static partial nint DlError();
}
