#!/usr/bin/env bash
# The CUDA check for a machine with an NVIDIA GPU and no .NET.
#
#   scripts/gpu-check.sh --build-only   on the development machine: publish a self-contained single-file `backends`
#                                       for linux-x64 (compressed, InvariantGlobalization) into artifacts/gpu and
#                                       print its size (it must stay under 60 MiB to travel).
#   scripts/gpu-check.sh --run-only     on the GPU machine: run the published artifact (no .NET needed there).
#   scripts/gpu-check.sh                both.
#
# The run lists the devices, verifies every op on cuda:0 against the float64 reference (the catalog, then in place, then
# 30 random cases per op), then benchmarks the square and
# moe-decode presets with our kernels and cuBLAS (when libcublas is found; BACKENDS_CUBLAS_PATH points at its folder)
# and prints one table, all inside GPU_CHECK_SECONDS (default 480).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
out=artifacts/gpu
exe="$out/backends"

if [ "$mode" != "--run-only" ]; then
  dotnet publish src/Backends.Cli -c Release -r linux-x64 --self-contained true \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:InvariantGlobalization=true -p:DebugType=none -o "$out" --nologo -v q
  size=$(stat -c %s "$exe")
  echo "artifact: $exe, $((size / 1048576)) MiB ($size bytes)"
  if [ "$size" -ge $((60 * 1048576)) ]; then
    echo "gpu-check: the artifact is larger than 60 MiB" >&2
    exit 1
  fi
fi

[ "$mode" = "--build-only" ] && exit 0

if [ ! -x "$exe" ]; then
  echo "gpu-check: $exe is missing; build it first with --build-only" >&2
  exit 1
fi

# cuBLAS ships inside Python packages on some GPU machines, not as a system library.
if [ -z "${BACKENDS_CUBLAS_PATH:-}" ]; then
  lib=$(find / -name 'libcublas.so*' -not -path '*/proc/*' 2>/dev/null | head -n 1 || true)
  [ -n "$lib" ] && export BACKENDS_CUBLAS_PATH="$(dirname "$lib")"
fi
export BACKENDS_CACHE_DIR="${BACKENDS_CACHE_DIR:-/tmp/backends-cache}"
budget="${GPU_CHECK_SECONDS:-480}"
deadline=$(( $(date +%s) + budget ))
left() { echo $(( deadline - $(date +%s) )); }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
timeout "$(left)" "$exe" devices
timeout "$(left)" "$exe" verify --device cuda:0 || echo "gpu-check: verify reported failures"
timeout "$(left)" "$exe" verify --device cuda:0 --in-place || echo "gpu-check: in-place verify reported failures"
timeout "$(left)" "$exe" verify --device cuda:0 --random 30 || echo "gpu-check: random verify reported failures"
timeout "$(left)" "$exe" bench --device cuda:0 --preset square --variant ours cublas --json /tmp/gpu-square.json --max-time 1 || true
timeout "$(left)" "$exe" bench --device cuda:0 --preset moe-decode --variant ours cublas --json /tmp/gpu-moe.json --max-time 1 || true
echo "gpu-check: done with $(left) s of the budget left"
