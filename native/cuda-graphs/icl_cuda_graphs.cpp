// icl_cuda_graphs.cpp: a C ABI over PyTorch's at::cuda::CUDAGraph and c10's current-stream
// machinery, for TorchSharp programs (TorchSharp 0.107 has no CUDA graph API). Built by build.sh
// against the headers and libraries of the very PyTorch/libtorch the process runs on.
//
// What torch.cuda.graph does, and what this file reproduces (torch/cuda/graphs.py, class graph,
// PyTorch 2.x main as stored in the code index, 2025-2026):
//   __enter__: torch.cuda.synchronize(); [gc.collect() only if torch.compiler.config.force_cudagraph_gc];
//              torch.cuda.empty_cache(); torch.cuda.stream(capture_stream).__enter__();
//              cuda_graph.capture_begin(*pool, capture_error_mode="global")
//   __exit__:  cuda_graph.capture_end(); stream_ctx.__exit__()
// torch.cuda.stream(s) = set the current stream (and device) of the CALLING THREAD, restore on exit
// (torch/csrc/cuda/Module.cpp, THCPModule_setStream_wrap: set_device if needed, then
// c10::cuda::setCurrentCUDAStream). PyTorch's recipe for warm-up is
//   s.wait_stream(torch.cuda.current_stream()); with torch.cuda.stream(s): ...;
//   torch.cuda.current_stream().wait_stream(s)
// which icl_cg_stream_enter/exit with wait=1 do.
//
// Signatures used, checked against PyTorch sources (code index; the v2.10/v2.11 tags themselves
// were not in the index, so only members that are identical in every stored version from ~2.6 to
// current main are used):
//   aten/src/ATen/cuda/CUDAGraph.h:
//     TORCH_CUDA_CPP_API MempoolId_t graph_pool_handle();
//     struct CUDAGraph { CUDAGraph(bool keep_graph=false);
//       void capture_begin(MempoolId_t pool = {0, 0},
//                          cudaStreamCaptureMode capture_mode = cudaStreamCaptureModeGlobal);
//       void capture_end(); void replay(); void reset(); MempoolId_t pool(); ... };
//     (capture_begin checks that the current stream is not the default stream; with pool {0,0}
//     it creates a fresh private mempool, MemPool::graph_pool_handle(false); it routes every
//     allocation made on a stream that is capturing with this capture id to that pool, from any
//     thread (beginAllocateToPool with a capture-id filter), which is why backward on the
//     autograd engine's device thread allocates from the pool too; capture_end instantiates
//     unless keep_graph; replay launches on the CALLING thread's current stream.)
//   c10/cuda/CUDAStream.h: CUDAStream getStreamFromPool(const bool isHighPriority = false,
//       DeviceIndex device = -1); CUDAStream getCurrentCUDAStream(DeviceIndex device_index = -1);
//       void setCurrentCUDAStream(CUDAStream stream); CUDAStream getDefaultCUDAStream(DeviceIndex = -1);
//       CUDAStream::stream() -> cudaStream_t, device_index(), unwrap(), operator==.
//   c10/cuda/CUDAFunctions.h: DeviceIndex device_count() noexcept; DeviceIndex current_device();
//       void set_device(DeviceIndex device[, const bool force = false]); void device_synchronize();
//   c10/cuda/CUDACachingAllocator.h: void emptyCache([MempoolId_t mempool_id = {0, 0}]);
//   ATen/Context.h: at::globalContext().setSDPUseFlash/MemEfficient/Math/CuDNN(bool).
// The pool id type is taken from graph_pool_handle()'s return type (MempoolId_t moved between
// c10::cuda and c10 over the versions; it is std::pair<unsigned long long, unsigned long long>).
//
// Every function returns 0 on success and a non-zero code on failure; icl_cg_last_error() then
// gives the message (per thread, valid until the next failing call on that thread).

// CUDA headers FIRST: CUDAGraph's member layout depends on CUDA_VERSION
// (#if !defined(USE_ROCM) && CUDA_VERSION >= 12040 adds members). cuda.h defines CUDA_VERSION; if
// it were undefined here, `new CUDAGraph` would allocate a smaller object than libtorch_cuda.so's
// constructor writes.
#include <cuda.h>
#include <cuda_runtime_api.h>

#include <ATen/Context.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#if !defined(CUDA_VERSION)
#error "CUDA_VERSION is not defined: cuda.h must come before the PyTorch headers"
#endif
#if defined(USE_ROCM)
#error "this shim is for CUDA builds of PyTorch"
#endif

#define ICL_API extern "C" __attribute__((visibility("default")))

namespace {

using PoolId = std::decay_t<decltype(at::cuda::graph_pool_handle())>;
static_assert(std::is_same_v<PoolId, std::pair<unsigned long long, unsigned long long>>,
              "MempoolId_t is expected to be std::pair<CaptureId_t, CaptureId_t>");

thread_local std::string last_error;

// Return codes (int, so that the lambdas below deduce one return type).
constexpr int ICL_OK = 0;
constexpr int ICL_TORCH_ERROR = 1;    // c10::Error (TORCH_CHECK, CUDA errors via C10_CUDA_CHECK/AT_CUDA_CHECK)
constexpr int ICL_STD_ERROR = 2;      // another std::exception
constexpr int ICL_UNKNOWN_ERROR = 3;  // anything else
constexpr int ICL_BAD_ARGUMENT = 4;
constexpr int ICL_BAD_STATE = 5;

int fail(int code, std::string message) {
  // One line: the C# side turns this into an exception message.
  for (auto& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  last_error = std::move(message);
  return code;
}

template <class F>
int guarded(const char* what, F&& f) noexcept {
  try {
    return static_cast<int>(f());
  } catch (const c10::Error& e) {
    return fail(ICL_TORCH_ERROR, std::string(what) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(ICL_STD_ERROR, std::string(what) + ": " + e.what());
  } catch (...) {
    return fail(ICL_UNKNOWN_ERROR, std::string(what) + ": unknown C++ exception");
  }
}

c10::DeviceIndex device_or_current(int device) {
  return device < 0 ? c10::cuda::current_device() : static_cast<c10::DeviceIndex>(device);
}

}  // namespace

// A stream from PyTorch's per-device pool (as torch.cuda.Stream() takes one). Pool streams live as
// long as the process; destroying the handle frees only this wrapper.
struct IclStream {
  c10::cuda::CUDAStream stream;
};

// What icl_cg_stream_enter replaced, restored by icl_cg_stream_exit.
struct IclStreamScope {
  c10::cuda::CUDAStream previous;    // the current stream of side's device before enter
  c10::cuda::CUDAStream side;
  c10::DeviceIndex previous_device;  // the current device before enter
};

struct IclGraph {
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  std::optional<IclStreamScope> scope;  // between begin and end: the stream to restore
  bool capturing = false;
  bool captured = false;
};

namespace {

// torch.cuda.stream(s).__enter__: make s current on its device (and that device current).
IclStreamScope enter_stream(const c10::cuda::CUDAStream& side) {
  const auto previous_device = c10::cuda::current_device();
  const auto device = side.device_index();
  if (device != previous_device) c10::cuda::set_device(device);
  auto previous = c10::cuda::getCurrentCUDAStream(device);
  c10::cuda::setCurrentCUDAStream(side);
  return IclStreamScope{previous, side, previous_device};
}

// torch.cuda.stream(s).__exit__.
void exit_stream(const IclStreamScope& scope) {
  c10::cuda::setCurrentCUDAStream(scope.previous);
  if (c10::cuda::current_device() != scope.previous_device) c10::cuda::set_device(scope.previous_device);
}

// waiter.wait_stream(on): work queued on waiter from now on starts after all work queued on `on` so far.
void wait_stream(const c10::cuda::CUDAStream& waiter, const c10::cuda::CUDAStream& on) {
  if (waiter == on) return;
  c10::cuda::CUDAGuard guard(on.device_index());
  cudaEvent_t event = nullptr;
  C10_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  cudaError_t err = cudaEventRecord(event, on.stream());
  if (err == cudaSuccess) err = cudaStreamWaitEvent(waiter.stream(), event, 0);
  // Destroying an event with a pending wait is allowed: the wait still sees the recorded work.
  (void)cudaEventDestroy(event);
  C10_CUDA_CHECK(err);
}

bool capture_mode_from_int(int mode, cudaStreamCaptureMode* out) {
  switch (mode) {
    case 0: *out = cudaStreamCaptureModeGlobal; return true;       // torch's default ("global")
    case 1: *out = cudaStreamCaptureModeThreadLocal; return true;  // "thread_local"
    case 2: *out = cudaStreamCaptureModeRelaxed; return true;      // "relaxed"
    default: return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// General

/// Version of this C ABI; the C# wrapper checks it.
ICL_API int icl_cg_abi_version(void) { return 1; }

/// The message of the last failing call on this thread ("" if none). Owned by the shim.
ICL_API const char* icl_cg_last_error(void) { return last_error.c_str(); }

/// CUDA_VERSION of the headers this was built with (e.g. 13000) and the torch it was built against
/// is printed by build.sh; this one helps diagnose a shim built for another CUDA.
ICL_API int icl_cg_cuda_version(void) { return CUDA_VERSION; }

ICL_API int icl_cg_device_count(int* count) {
  return guarded("device_count", [&] {
    if (!count) return fail(ICL_BAD_ARGUMENT, "device_count: null pointer");
    *count = static_cast<int>(c10::cuda::device_count());
    return ICL_OK;
  });
}

/// torch.cuda.synchronize(device): waits for all work on the device (device < 0: the current one).
ICL_API int icl_cg_synchronize(int device) {
  return guarded("synchronize", [&] {
    c10::cuda::CUDAGuard guard(device_or_current(device));
    c10::cuda::device_synchronize();
    return ICL_OK;
  });
}

/// torch.cuda.empty_cache(): returns the caching allocator's unused blocks to CUDA.
ICL_API int icl_cg_empty_cache(void) {
  return guarded("empty_cache", [&] {
    c10::cuda::CUDACachingAllocator::emptyCache();
    return ICL_OK;
  });
}

/// 0: the calling thread's current stream is not capturing, 1: capturing, 2: capture invalidated
/// (a forbidden call happened; capture_end will fail).
ICL_API int icl_cg_capture_status(int* status) {
  return guarded("capture_status", [&] {
    if (!status) return fail(ICL_BAD_ARGUMENT, "capture_status: null pointer");
    cudaStreamCaptureStatus s = cudaStreamCaptureStatusNone;
    C10_CUDA_CHECK(cudaStreamIsCapturing(c10::cuda::getCurrentCUDAStream().stream(), &s));
    *status = s == cudaStreamCaptureStatusActive ? 1 : s == cudaStreamCaptureStatusInvalidated ? 2 : 0;
    return ICL_OK;
  });
}

/// torch.backends.cuda.enable_{flash,mem_efficient,math,cudnn}_sdp: 1 enables, 0 disables, any other
/// value leaves that backend as it is. Process-wide (at::globalContext()).
ICL_API int icl_cg_set_sdp_backends(int flash, int mem_efficient, int math, int cudnn) {
  return guarded("set_sdp_backends", [&] {
    auto& ctx = at::globalContext();
    if (flash == 0 || flash == 1) ctx.setSDPUseFlash(flash == 1);
    if (mem_efficient == 0 || mem_efficient == 1) ctx.setSDPUseMemEfficient(mem_efficient == 1);
    if (math == 0 || math == 1) ctx.setSDPUseMath(math == 1);
    if (cudnn == 0 || cudnn == 1) ctx.setSDPUseCuDNN(cudnn == 1);
    return ICL_OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Side streams

/// A side stream on `device` (< 0: the current device) from PyTorch's stream pool
/// (c10::cuda::getStreamFromPool), never the default stream.
ICL_API int icl_cg_stream_create(int device, int high_priority, IclStream** out) {
  return guarded("stream_create", [&] {
    if (!out) return fail(ICL_BAD_ARGUMENT, "stream_create: null pointer");
    *out = nullptr;
    auto s = c10::cuda::getStreamFromPool(static_cast<bool>(high_priority != 0), device_or_current(device));
    *out = new IclStream{s};
    return ICL_OK;
  });
}

ICL_API int icl_cg_stream_destroy(IclStream* stream) {
  return guarded("stream_destroy", [&] {
    delete stream;  // pool streams are never destroyed
    return ICL_OK;
  });
}

/// The raw cudaStream_t (for logging or interop).
ICL_API int icl_cg_stream_handle(IclStream* stream, void** handle) {
  return guarded("stream_handle", [&] {
    if (!stream || !handle) return fail(ICL_BAD_ARGUMENT, "stream_handle: null pointer");
    *handle = static_cast<void*>(stream->stream.stream());
    return ICL_OK;
  });
}

/// Makes `stream` the calling thread's current stream (and its device the current device), as
/// torch.cuda.stream(stream).__enter__ does; TorchSharp ops on this thread then run on it. With
/// wait != 0, the side stream first waits for the work queued so far on the previous current
/// stream (s.wait_stream(torch.cuda.current_stream())). *scope receives what to restore.
ICL_API int icl_cg_stream_enter(IclStream* stream, int wait, IclStreamScope** scope) {
  return guarded("stream_enter", [&] {
    if (!stream || !scope) return fail(ICL_BAD_ARGUMENT, "stream_enter: null pointer");
    *scope = nullptr;
    auto saved = std::make_unique<IclStreamScope>(enter_stream(stream->stream));
    if (wait) {
      try {
        wait_stream(saved->side, saved->previous);
      } catch (...) {
        exit_stream(*saved);
        throw;
      }
    }
    *scope = saved.release();
    return ICL_OK;
  });
}

/// Restores what icl_cg_stream_enter replaced and frees the scope (also when it fails). With
/// wait != 0, the restored stream first waits for the work queued on the side stream
/// (torch.cuda.current_stream().wait_stream(s)).
ICL_API int icl_cg_stream_exit(IclStreamScope* scope, int wait) {
  return guarded("stream_exit", [&] {
    if (!scope) return fail(ICL_BAD_ARGUMENT, "stream_exit: null pointer");
    std::unique_ptr<IclStreamScope> owned(scope);
    exit_stream(*owned);
    if (wait) wait_stream(owned->previous, owned->side);
    return ICL_OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Graphs

ICL_API int icl_cg_graph_create(IclGraph** out) {
  return guarded("graph_create", [&] {
    if (!out) return fail(ICL_BAD_ARGUMENT, "graph_create: null pointer");
    *out = nullptr;
    auto g = std::make_unique<IclGraph>();
    g->graph = std::make_unique<at::cuda::CUDAGraph>();  // keep_graph = false: capture_end instantiates
    *out = g.release();
    return ICL_OK;
  });
}

/// torch.cuda.graph(g, pool, stream, capture_error_mode).__enter__: synchronizes the side stream's
/// device, empties the allocator's cache, makes `stream` current on this thread and begins capture
/// into a private memory pool: a fresh one when pool_first = pool_second = 0, else the given one
/// (from icl_cg_pool_handle or icl_cg_graph_pool, to share memory between graphs replayed in the
/// order they were captured). mode: 0 global (torch's default), 1 thread-local, 2 relaxed.
/// Everything TorchSharp does on this thread until icl_cg_graph_end is recorded, not run.
ICL_API int icl_cg_graph_begin(IclGraph* g, IclStream* stream, int mode,
                               unsigned long long pool_first, unsigned long long pool_second) {
  return guarded("graph_begin", [&] {
    if (!g || !stream) return fail(ICL_BAD_ARGUMENT, "graph_begin: null pointer");
    if (g->capturing) return fail(ICL_BAD_STATE, "graph_begin: this graph is already capturing");
    if (g->captured) return fail(ICL_BAD_STATE, "graph_begin: this graph already holds a capture; create a new one");
    cudaStreamCaptureMode capture_mode;
    if (!capture_mode_from_int(mode, &capture_mode))
      return fail(ICL_BAD_ARGUMENT, "graph_begin: mode must be 0 (global), 1 (thread-local) or 2 (relaxed)");
    if ((pool_first != 0) && (pool_second != 0))
      return fail(ICL_BAD_ARGUMENT, "graph_begin: a pool id has at most one non-zero half");
    {
      c10::cuda::CUDAGuard guard(stream->stream.device_index());
      c10::cuda::device_synchronize();                   // torch.cuda.synchronize()
      c10::cuda::CUDACachingAllocator::emptyCache();     // torch.cuda.empty_cache()
    }
    IclStreamScope scope = enter_stream(stream->stream);  // torch.cuda.stream(s).__enter__()
    try {
      g->graph->capture_begin(PoolId{pool_first, pool_second}, capture_mode);
    } catch (...) {
      exit_stream(scope);
      throw;
    }
    g->scope = scope;
    g->capturing = true;
    return ICL_OK;
  });
}

/// torch.cuda.graph.__exit__: ends the capture and instantiates the graph, then restores the
/// current stream and device (also when capture_end fails: an invalidated capture, say).
ICL_API int icl_cg_graph_end(IclGraph* g) {
  return guarded("graph_end", [&] {
    if (!g) return fail(ICL_BAD_ARGUMENT, "graph_end: null pointer");
    if (!g->capturing) return fail(ICL_BAD_STATE, "graph_end: this graph is not capturing");
    g->capturing = false;
    try {
      g->graph->capture_end();
    } catch (...) {
      exit_stream(*g->scope);
      g->scope.reset();
      throw;
    }
    exit_stream(*g->scope);
    g->scope.reset();
    g->captured = true;
    return ICL_OK;
  });
}

/// Replays the graph on the calling thread's current stream (after the work already queued there,
/// e.g. the copies into the static inputs). Asynchronous: read results after a synchronizing call
/// (.item(), .cpu()) on the same stream.
ICL_API int icl_cg_graph_replay(IclGraph* g) {
  return guarded("graph_replay", [&] {
    if (!g) return fail(ICL_BAD_ARGUMENT, "graph_replay: null pointer");
    if (!g->captured) return fail(ICL_BAD_STATE, "graph_replay: the graph holds no finished capture");
    g->graph->replay();
    return ICL_OK;
  });
}

/// The graph's memory pool id, for another graph's icl_cg_graph_begin to share.
ICL_API int icl_cg_graph_pool(IclGraph* g, unsigned long long* first, unsigned long long* second) {
  return guarded("graph_pool", [&] {
    if (!g || !first || !second) return fail(ICL_BAD_ARGUMENT, "graph_pool: null pointer");
    auto p = g->graph->pool();
    *first = p.first;
    *second = p.second;
    return ICL_OK;
  });
}

/// torch.cuda.graph_pool_handle(): a pool id no graph owns yet, to share between captures.
ICL_API int icl_cg_pool_handle(unsigned long long* first, unsigned long long* second) {
  return guarded("pool_handle", [&] {
    if (!first || !second) return fail(ICL_BAD_ARGUMENT, "pool_handle: null pointer");
    auto p = at::cuda::graph_pool_handle();
    *first = p.first;
    *second = p.second;
    return ICL_OK;
  });
}

/// Frees the graph and its private pool (back to the caching allocator; icl_cg_empty_cache returns
/// it to CUDA). A graph still capturing (an exception between begin and end) is ended first and
/// the current stream restored. Wait for its last replay first (icl_cg_synchronize): the pool's
/// memory is reused as soon as it is released.
ICL_API int icl_cg_graph_destroy(IclGraph* g) {
  return guarded("graph_destroy", [&] {
    if (!g) return ICL_OK;
    std::unique_ptr<IclGraph> owned(g);
    std::string pending;
    if (owned->capturing) {
      owned->capturing = false;
      try {
        owned->graph->capture_end();  // ends the CUDA capture even when it was invalidated (then throws)
      } catch (const c10::Error& e) {
        pending = e.what_without_backtrace();
      } catch (const std::exception& e) {
        pending = e.what();
      }
    }
    if (owned->scope) {
      exit_stream(*owned->scope);
      owned->scope.reset();
    }
    owned->graph.reset();  // ~CUDAGraph() calls reset(): releases the pool, destroys the exec graph
    if (!pending.empty()) return fail(ICL_TORCH_ERROR, "graph_destroy: ending the open capture: " + pending);
    return ICL_OK;
  });
}
