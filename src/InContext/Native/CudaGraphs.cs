using System.Runtime.InteropServices;

namespace InContext.Native;

/// <summary>
/// CUDA graphs for TorchSharp through libIclCudaGraphs.so (native/cuda-graphs: a C ABI over
/// PyTorch's own at::cuda::CUDAGraph, built on the GPU machine by its build.sh against the libtorch
/// the process runs on). TorchSharp 0.107 binds no graph API. A training step captured once and
/// replayed launches its hundreds of kernels as one, which is what sets the speed of small models on
/// a GPU (docs/performance.md). Everything a captured body does on this thread is recorded once and
/// replayed verbatim: no host values that change per step, no host/device copies or syncs inside,
/// tensors read after replay kept alive.
/// </summary>
public static partial class CudaGraphs
{
    /// <summary>The library name the LibraryImports below use; resolved to the loaded path.</summary>
    const string Library = "IclCudaGraphs";
    /// <summary>The environment variable that names the shim's path.</summary>
    public const string PathVariable = "ICL_CUDA_GRAPHS";
    /// <summary>The shim's file name, looked for beside the program.</summary>
    public const string FileName = "libIclCudaGraphs.so";

    /// <summary>Where the shim is looked for: <c>$ICL_CUDA_GRAPHS</c>, else beside the program.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, FileName);

    /// <summary>Loads the shim from <paramref name="path"/> (null: <see cref="DefaultPath"/>) if it is there; false (and nothing loaded) when it is not.</summary>
    public static bool TryLoad(string? path = null)
    {
        if (IsLoaded) return true;
        path ??= DefaultPath;
        if (!File.Exists(path)) return false;
        Load(path);
        return true;
    }
    const int AbiVersion = 1;

    static nint _library;
    static readonly object Gate = new();

    /// <summary>Whether the shim is loaded in this process.</summary>
    public static bool IsLoaded => _library != 0;

    /// <summary>
    /// Loads the shim from <paramref name="path"/> (default: $ICL_CUDA_GRAPHS) and routes this
    /// assembly's LibraryImport("IclCudaGraphs") to it. Load it after libtorch (LibTorchLocation.Use):
    /// its DT_NEEDED libtorch_cuda.so etc. then bind to the libraries already loaded. Throws
    /// InvalidOperationException with one line when it cannot.
    /// </summary>
    public static void Load(string? path = null)
    {
        lock (Gate)
        {
            if (_library != 0) return;
            path ??= DefaultPath;
            var origin = path;
            path = Path.GetFullPath(path);
            if (!File.Exists(path))
                throw new InputException($"{origin}: no such file; CUDA graphs need the shim native/cuda-graphs/build.sh builds on the GPU machine (the README's GPU section)");
            // dlopen with RTLD_NOW: a shim built against another libtorch fails here, naming the symbol.
            _library = LibTorchLocation.Open(path, LibTorchLocation.RTLD_NOW, message =>
                new InputException($"{origin}: cannot load it ({message}); rebuild it with native/cuda-graphs/build.sh against this libtorch"));
            // One resolver per assembly is allowed: this one answers for the shim only (0 = default
            // probing for every other name, e.g. NativeRuntime's "libc"). Merge here if the assembly
            // ever needs another.
            NativeLibrary.SetDllImportResolver(typeof(CudaGraphs).Assembly,
                (name, _, _) => name == Library ? _library : 0);
            var abi = icl_cg_abi_version();
            if (abi != AbiVersion)
                throw new InputException($"{origin}: shim ABI {abi}, this program needs {AbiVersion}; rebuild it from this version's native/cuda-graphs");
        }
    }

    static void EnsureLoaded()
    {
        if (_library == 0) Load();
    }

    /// <summary>Throws the shim's message when a call failed.</summary>
    internal static void Check(int rc)
    {
        if (rc == 0) return;
        var msg = Marshal.PtrToStringUTF8(icl_cg_last_error());
        throw new CudaGraphException(string.IsNullOrEmpty(msg) ? $"CUDA graph shim call failed with code {rc}" : msg, rc);
    }

    /// <summary>CUDA_VERSION the shim was compiled with (e.g. 13000).</summary>
    public static int CudaVersion { get { EnsureLoaded(); return icl_cg_cuda_version(); } }

    /// <summary>The number of CUDA devices.</summary>
    public static int DeviceCount { get { EnsureLoaded(); Check(icl_cg_device_count(out var n)); return n; } }

    /// <summary>torch.cuda.synchronize(device); device &lt; 0: the current one.</summary>
    public static void Synchronize(int device = -1) { EnsureLoaded(); Check(icl_cg_synchronize(device)); }

    /// <summary>torch.cuda.empty_cache().</summary>
    public static void EmptyCache() { EnsureLoaded(); Check(icl_cg_empty_cache()); }

    /// <summary>Whether this thread's current CUDA stream is capturing.</summary>
    public static CaptureStatus CurrentCaptureStatus
    {
        get { EnsureLoaded(); Check(icl_cg_capture_status(out var s)); return (CaptureStatus)s; }
    }

    /// <summary>torch.backends.cuda.enable_*_sdp: true/false sets, null leaves a backend as it is. Process-wide.</summary>
    public static void SetSdpBackends(bool? flash = null, bool? memEfficient = null, bool? math = null, bool? cudnn = null)
    {
        EnsureLoaded();
        static int V(bool? b) => b is null ? -1 : b.Value ? 1 : 0;
        Check(icl_cg_set_sdp_backends(V(flash), V(memEfficient), V(math), V(cudnn)));
    }

    /// <summary>torch.cuda.graph_pool_handle(): a pool id for graphs to share.</summary>
    public static PoolId NewPoolHandle()
    {
        EnsureLoaded();
        Check(icl_cg_pool_handle(out var a, out var b));
        return new PoolId(a, b);
    }

    // ---- the C ABI (icl_cuda_graphs.cpp) ------------------------------------------------------
    [LibraryImport(Library)] internal static partial int icl_cg_abi_version();
    [LibraryImport(Library)] internal static partial nint icl_cg_last_error();
    [LibraryImport(Library)] internal static partial int icl_cg_cuda_version();
    [LibraryImport(Library)] internal static partial int icl_cg_device_count(out int count);
    [LibraryImport(Library)] internal static partial int icl_cg_synchronize(int device);
    [LibraryImport(Library)] internal static partial int icl_cg_empty_cache();
    [LibraryImport(Library)] internal static partial int icl_cg_capture_status(out int status);
    [LibraryImport(Library)] internal static partial int icl_cg_set_sdp_backends(int flash, int memEfficient, int math, int cudnn);
    [LibraryImport(Library)] internal static partial int icl_cg_stream_create(int device, int highPriority, out nint stream);
    [LibraryImport(Library)] internal static partial int icl_cg_stream_destroy(nint stream);
    [LibraryImport(Library)] internal static partial int icl_cg_stream_handle(nint stream, out nint cudaStream);
    [LibraryImport(Library)] internal static partial int icl_cg_stream_enter(nint stream, int wait, out nint scope);
    [LibraryImport(Library)] internal static partial int icl_cg_stream_exit(nint scope, int wait);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_create(out nint graph);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_begin(nint graph, nint stream, int mode, ulong poolFirst, ulong poolSecond);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_end(nint graph);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_replay(nint graph);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_pool(nint graph, out ulong first, out ulong second);
    [LibraryImport(Library)] internal static partial int icl_cg_pool_handle(out ulong first, out ulong second);
    [LibraryImport(Library)] internal static partial int icl_cg_graph_destroy(nint graph);

    internal static void EnsureLoadedForHandles() => EnsureLoaded();
}

/// <summary>A failed shim call; the message is PyTorch's (one line).</summary>
public sealed class CudaGraphException(string message, int code) : InvalidOperationException(message)
{
    /// <summary>The shim's return code.</summary>
    public int Code { get; } = code;
}

/// <summary>cudaStreamCaptureStatus: whether a stream is capturing.</summary>
public enum CaptureStatus
{
    /// <summary>Not capturing.</summary>
    None = 0,
    /// <summary>Capturing.</summary>
    Active = 1,
    /// <summary>Capturing, but an unsafe call has invalidated the capture; ending it fails.</summary>
    Invalidated = 2,
}

/// <summary>cudaStreamCaptureMode. Global (torch's default) makes CUDA refuse unsafe calls (a
/// synchronizing copy, cudaFree, an event query) from ANY thread while the capture runs; ThreadLocal
/// only from the capturing thread; Relaxed never.</summary>
public enum CaptureMode
{
    /// <summary>Unsafe calls from any thread are refused while the capture runs (torch's default).</summary>
    Global = 0,
    /// <summary>Unsafe calls are refused from the capturing thread only.</summary>
    ThreadLocal = 1,
    /// <summary>Unsafe calls are never refused.</summary>
    Relaxed = 2,
}

/// <summary>A private memory pool id (MempoolId_t).</summary>
public readonly record struct PoolId(ulong First, ulong Second)
{
    /// <summary>No pool given: the capture makes a new private pool.</summary>
    public static PoolId Fresh => default;   // {0, 0}: capture_begin makes a new private pool
}

/// <summary>
/// A side stream from PyTorch's stream pool. TorchSharp ops run on the calling thread's current
/// stream; <see cref="Enter"/> makes this one current (torch.cuda.stream(s)).
/// </summary>
public sealed class CudaSideStream : IDisposable
{
    internal nint Handle { get; private set; }

    CudaSideStream(nint handle) => Handle = handle;

    /// <summary>A side stream on <paramref name="device"/> (-1: the current device).</summary>
    public static CudaSideStream Create(int device = -1, bool highPriority = false)
    {
        CudaGraphs.EnsureLoadedForHandles();
        CudaGraphs.Check(CudaGraphs.icl_cg_stream_create(device, highPriority ? 1 : 0, out var h));
        return new CudaSideStream(h);
    }

    /// <summary>The raw cudaStream_t.</summary>
    public nint CudaStream
    {
        get { CudaGraphs.Check(CudaGraphs.icl_cg_stream_handle(Live(), out var s)); return s; }
    }

    /// <summary>
    /// Makes this stream current on this thread until the scope is disposed. With
    /// <paramref name="wait"/>, it first waits for the work queued on the previous stream, and on
    /// dispose the previous stream waits for this one (PyTorch's warm-up recipe: s.wait_stream(cur);
    /// with stream(s): ...; cur.wait_stream(s)).
    /// </summary>
    public Scope Enter(bool wait = true)
    {
        CudaGraphs.Check(CudaGraphs.icl_cg_stream_enter(Live(), wait ? 1 : 0, out var scope));
        return new Scope(scope, wait);
    }

    /// <summary>Runs <paramref name="body"/> with this stream current (see <see cref="Enter"/>).</summary>
    public void Run(Action body, bool wait = true)
    {
        using var _ = Enter(wait);
        body();
    }

    nint Live() => Handle != 0 ? Handle : throw new ObjectDisposedException(nameof(CudaSideStream));

    /// <summary>Releases the handle (the stream itself stays in PyTorch's pool, which never destroys its streams).</summary>
    public void Dispose()
    {
        if (Handle == 0) return;
        CudaGraphs.Check(CudaGraphs.icl_cg_stream_destroy(Handle));
        Handle = 0;
    }

    /// <summary>Restores the previous current stream when disposed. Dispose on the thread that entered.</summary>
    public sealed class Scope : IDisposable
    {
        nint _scope;
        readonly bool _wait;
        internal Scope(nint scope, bool wait) { _scope = scope; _wait = wait; }

        /// <summary>Makes the previous stream current again (and with wait, makes it wait for this one).</summary>
        public void Dispose()
        {
            if (_scope == 0) return;
            var s = _scope;
            _scope = 0;
            CudaGraphs.Check(CudaGraphs.icl_cg_stream_exit(s, _wait ? 1 : 0));
        }
    }
}

/// <summary>
/// One captured CUDA graph (at::cuda::CUDAGraph). No finalizer on purpose: destroying a graph from
/// the finalizer thread while another capture runs would be an unsafe call during capture. Dispose
/// it (after the work that replays it has finished: <see cref="CudaGraphs.Synchronize"/>); a graph
/// never disposed is reclaimed at process exit.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    nint _handle;

    CudaGraph(nint handle) => _handle = handle;

    /// <summary>An empty graph, to capture into with <see cref="Begin"/> and <see cref="End"/>.</summary>
    public static CudaGraph Create()
    {
        CudaGraphs.EnsureLoadedForHandles();
        CudaGraphs.Check(CudaGraphs.icl_cg_graph_create(out var h));
        return new CudaGraph(h);
    }

    /// <summary>
    /// Captures <paramref name="body"/> on <paramref name="stream"/> (torch.cuda.graph): collects
    /// .NET garbage first (TorchSharp tensors waiting for finalizers hold CUDA memory), synchronizes,
    /// empties the cache, begins, runs the body (recording, not executing, its CUDA work), ends. If
    /// the body throws, the capture is ended and the graph disposed, and the body's exception
    /// propagates. The graph then holds the work; run it with <see cref="Replay"/>.
    /// </summary>
    public static CudaGraph Capture(CudaSideStream stream, Action body, CaptureMode mode = CaptureMode.Global, PoolId pool = default)
    {
        var g = Create();
        var noGc = false;
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            // No collection while capturing: a finalizer freeing a tensor then would be an unsafe CUDA
            // call from another thread (capture mode global refuses those, invalidating the capture).
            try { noGc = GC.TryStartNoGCRegion(128L << 20); }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException) { noGc = false; }
            g.Begin(stream, mode, pool);
            try
            {
                body();
            }
            catch
            {
                // End the open capture and restore the stream; the body's exception is the one to see
                // (ending an invalidated capture fails too, and would only repeat it).
                try { g.Dispose(); } catch (CudaGraphException) { }
                throw;
            }
            g.End();
            return g;
        }
        catch
        {
            try { g.Dispose(); } catch (CudaGraphException) { }
            throw;
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }

    /// <summary>Begins capture (see <see cref="Capture"/>); every CUDA op on this thread until <see cref="End"/> is recorded.</summary>
    public void Begin(CudaSideStream stream, CaptureMode mode = CaptureMode.Global, PoolId pool = default) =>
        CudaGraphs.Check(CudaGraphs.icl_cg_graph_begin(Live(), stream.Handle, (int)mode, pool.First, pool.Second));

    /// <summary>Ends capture, instantiates the graph and restores this thread's previous stream.</summary>
    public void End() => CudaGraphs.Check(CudaGraphs.icl_cg_graph_end(Live()));

    /// <summary>Launches the graph on this thread's current stream, after the work already queued there.</summary>
    public void Replay() => CudaGraphs.Check(CudaGraphs.icl_cg_graph_replay(Live()));

    /// <summary>This graph's memory pool, for another capture to share (replay them in capture order).</summary>
    public PoolId Pool
    {
        get { CudaGraphs.Check(CudaGraphs.icl_cg_graph_pool(Live(), out var a, out var b)); return new PoolId(a, b); }
    }

    nint Live() => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaGraph));

    /// <summary>Destroys the graph, ending a capture still open; the work that replays it must have finished (<see cref="CudaGraphs.Synchronize"/>).</summary>
    public void Dispose()
    {
        if (_handle == 0) return;
        var h = _handle;
        _handle = 0;
        CudaGraphs.Check(CudaGraphs.icl_cg_graph_destroy(h));
    }
}
