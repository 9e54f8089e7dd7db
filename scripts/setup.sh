#!/usr/bin/env bash
# Installs what the tests need when it is missing: PoCL (the CPU OpenCL device), the ICD loader, CLBlast for the
# optional GEMM variant, gcc + cmake + make for native/cann/acl-sim (the AscendCL stand-in the CANN tests run on), and
# OpenBLAS for the CPU comparison benchmark. Debian/Ubuntu; runs apt-get as root (or through sudo -n).
# Safe to run repeatedly: it does nothing when everything is present.
set -euo pipefail

need=()
ldconfig -p 2>/dev/null | grep -q 'libOpenCL.so.1' || need+=(ocl-icd-libopencl1)
ldconfig -p 2>/dev/null | grep -q 'libOpenCL.so ' || need+=(ocl-icd-opencl-dev)
[ -e /etc/OpenCL/vendors/pocl.icd ] || need+=(pocl-opencl-icd)
ldconfig -p 2>/dev/null | grep -q 'libclblast.so' || need+=(libclblast1)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v make >/dev/null 2>&1 || need+=(make)
# OpenBLAS only for the CPU comparison benchmark (benchmarks/: cpu-compare); no test needs it.
ldconfig -p 2>/dev/null | grep -q 'libopenblas.so.0' || need+=(libopenblas0-pthread)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${need[*]} and no apt-get here; install them yourself (see docs/opencl.md)." >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "setup: missing ${need[*]}; run as root (or with sudo) to install them." >&2
    exit 0
  fi
fi

echo "setup: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# CLBlast and OpenBLAS are optional: install the rest even if they are not in this distribution's archive.
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
  $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | grep -v 'clblast\|openblas') >/dev/null
