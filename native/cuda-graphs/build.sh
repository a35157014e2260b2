#!/usr/bin/env bash
# Builds libIclCudaGraphs.so from icl_cuda_graphs.cpp against the PyTorch that `python3` imports
# (its headers, its libraries, its C++ ABI), on the machine that has the GPU.
#
#   shim/build.sh [OUTPUT.so]        default: libIclCudaGraphs.so beside this script
#   env: PYTHON (default python3), CXX (default g++), CUDA_HOME (default: torch's CUDA_HOME,
#        else the folder above `nvcc`, else /usr/local/cuda), ICL_CXX_STD (override c++17/c++20)
#
# Prints one "build.sh: error: ..." line and exits 1 on failure; on success the last line is
# "build.sh: built PATH (torch VERSION, CUDA VERSION, ...)".
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/libIclCudaGraphs.so}"
py="${PYTHON:-python3}"
cxx="${CXX:-g++}"

fail() { echo "build.sh: error: $*" >&2; exit 1; }

command -v "$py" >/dev/null 2>&1 || fail "no $py on PATH (set PYTHON to the python that has torch)"
command -v "$cxx" >/dev/null 2>&1 || fail "no C++ compiler $cxx (set CXX)"
[ -f "$here/icl_cuda_graphs.cpp" ] || fail "icl_cuda_graphs.cpp is not beside build.sh"

# One python run reports everything as shell assignments (values quoted by shlex).
vars="$("$py" - <<'PY'

import glob, os, shlex, shutil, subprocess, sys

def out(k, v):
    print(f"{k}={shlex.quote(str(v))}")

def die(msg):
    out("ERR", msg)
    sys.exit(0)

try:
    import torch
except Exception as e:  # noqa: BLE001
    die(f"{sys.executable} cannot import torch: {e}")
if torch.version.cuda is None:
    die(f"torch {torch.__version__} at {os.path.dirname(torch.__file__)} is a CPU-only build")

torch_dir = os.path.dirname(torch.__file__)
torch_lib = os.path.join(torch_dir, "lib")
for f in ("libtorch_cuda.so", "libtorch_cpu.so", "libc10_cuda.so", "libc10.so"):
    if not os.path.exists(os.path.join(torch_lib, f)):
        die(f"{torch_lib} lacks {f}")

from torch.utils import cpp_extension as ce

# CUDA_HOME: the environment, torch's own guess, the folder above nvcc, /usr/local/cuda.
cuda_home = os.environ.get("CUDA_HOME") or getattr(ce, "CUDA_HOME", None)
if not cuda_home and shutil.which("nvcc"):
    cuda_home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("nvcc"))))
if not cuda_home and os.path.isdir("/usr/local/cuda"):
    cuda_home = "/usr/local/cuda"

# Include paths: include_paths(device_type="cuda") since torch 2.6, include_paths(cuda=True) before.
try:
    try:
        inc = list(ce.include_paths(device_type="cuda"))
    except TypeError:
        inc = list(ce.include_paths(cuda=True))
except OSError:  # torch found no CUDA_HOME: torch's own dirs, CUDA headers added below
    try:
        inc = list(ce.include_paths(device_type="cpu"))
    except TypeError:
        inc = list(ce.include_paths())
if cuda_home and os.path.isdir(os.path.join(cuda_home, "include")) and os.path.join(cuda_home, "include") not in inc:
    inc.append(os.path.join(cuda_home, "include"))
# pip's CUDA runtime wheels carry headers too (nvidia/cu13/include, nvidia/cuda_runtime/include).
site = os.path.dirname(torch_dir)
for d in sorted(glob.glob(os.path.join(site, "nvidia", "*", "include"))):
    if os.path.exists(os.path.join(d, "cuda_runtime_api.h")) and d not in inc:
        inc.append(d)
if not any(os.path.exists(os.path.join(d, "cuda_runtime_api.h")) for d in inc):
    die("no CUDA headers (cuda_runtime_api.h) found: set CUDA_HOME to the CUDA toolkit")
if not any(os.path.exists(os.path.join(d, "cuda.h")) for d in inc):
    die("no cuda.h in the include paths: set CUDA_HOME to the CUDA toolkit")
if not any(os.path.exists(os.path.join(d, "ATen", "cuda", "CUDAGraph.h")) for d in inc):
    die(f"torch {torch.__version__} ships no ATen/cuda/CUDAGraph.h (torch/include missing?)")

# The libcudart that libtorch_cuda.so itself loads (through its RUNPATH), so the process has one.
cudart = ""
try:
    ldd = subprocess.run(["ldd", os.path.join(torch_lib, "libtorch_cuda.so")], capture_output=True, text=True, timeout=60).stdout
    for line in ldd.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("libcudart.so") and len(parts) >= 3 and parts[2].startswith("/"):
            cudart = parts[2]
            break
except Exception:  # noqa: BLE001
    pass
if not cudart:
    major = torch.version.cuda.split(".")[0]
    cands = sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib", f"libcudart.so.{major}*")))
    if cuda_home:
        cands += sorted(glob.glob(os.path.join(cuda_home, "lib64", f"libcudart.so.{major}*")))
        cands += sorted(glob.glob(os.path.join(cuda_home, "lib", f"libcudart.so.{major}*")))
    cudart = cands[0] if cands else ""
if not cudart:
    die(f"no libcudart.so.{torch.version.cuda.split('.')[0]}* beside torch (site-packages/nvidia/*/lib) nor in CUDA_HOME")

ver = torch.__version__.split("+")[0].split(".")
major_minor = (int(ver[0]), int("".join(c for c in ver[1] if c.isdigit()) or 0))
std = os.environ.get("ICL_CXX_STD") or ("c++20" if major_minor >= (2, 14) else "c++17")  # ATen demands C++20 from 2.14

out("TORCH_VERSION", torch.__version__)
out("TORCH_CUDA", torch.version.cuda)
out("TORCH_LIB", torch_lib)
print("INCLUDES=(" + " ".join(shlex.quote("-I" + d) for d in inc) + ")")  # a bash array
out("ABI", int(bool(torch._C._GLIBCXX_USE_CXX11_ABI)))
out("CUDA_HOME_USED", cuda_home or "")
out("CUDART", os.path.realpath(cudart))
out("CUDART_SONAME", os.path.basename(cudart) if os.path.basename(cudart).count(".") >= 2 else "")
out("STD", std)
PY
)" || fail "$py failed (its messages are above)"
eval "$vars" || fail "could not read python's answer: $vars"
[ -z "${ERR:-}" ] || fail "$ERR"
[ -n "${TORCH_LIB:-}" ] || fail "python printed nothing usable: $vars"

cudart_dir="$(dirname "$CUDART")"
# Link by soname-bearing file name when it has one (libcudart.so.13), else by path.
if [ -n "$CUDART_SONAME" ]; then cudart_link=(-L"$cudart_dir" -l:"$CUDART_SONAME"); else cudart_link=("$CUDART"); fi

log="$(mktemp)"
"$cxx" -std="$STD" -O2 -fPIC -shared -fvisibility=hidden -Wall -Wno-unused-parameter \
  -D_GLIBCXX_USE_CXX11_ABI="$ABI" "${INCLUDES[@]}" \
  "$here/icl_cuda_graphs.cpp" -o "$out.tmp" \
  -L"$TORCH_LIB" -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10 "${cudart_link[@]}" \
  -Wl,--no-undefined -Wl,-rpath,"$TORCH_LIB" -Wl,-rpath,"$cudart_dir" >"$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  first="$(grep -m1 -E 'error|Error|undefined reference' "$log" || head -n1 "$log")"
  echo "--- compiler output ($log) ---" >&2; tail -n 40 "$log" >&2
  fail "$cxx failed (torch $TORCH_VERSION, CUDA $TORCH_CUDA, -std=$STD): $first"
fi
mv -f "$out.tmp" "$out" || fail "cannot write $out"

# The library must load next to torch's own libraries and find every symbol it needs.
"$py" - "$out" <<'PY' || fail "built $out, but it does not load next to torch (see above)"
import ctypes, os, sys
import torch  # loads torch's libraries first, as the .NET process will have
lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)
lib.icl_cg_abi_version.restype = ctypes.c_int
assert lib.icl_cg_abi_version() == 1
PY
echo "build.sh: built $out (torch $TORCH_VERSION, CUDA $TORCH_CUDA, $STD, _GLIBCXX_USE_CXX11_ABI=$ABI, cudart $CUDART)"
