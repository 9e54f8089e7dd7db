#!/usr/bin/env bash
# Configures and builds acl-sim (Release) into a build directory (default: native/cann/acl-sim/build) and prints the
# absolute build directory as its last line. Idempotent; fast when up to date. Usage: build.sh [build-dir]
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$src/build}"

command -v cmake >/dev/null 2>&1 || { echo "acl-sim build.sh: cmake not found on PATH" >&2; exit 1; }
cc="${CC:-gcc}"
command -v "$cc" >/dev/null 2>&1 || { echo "acl-sim build.sh: C compiler '$cc' not found (install gcc or set CC)" >&2; exit 1; }

mkdir -p "$build"
build="$(cd "$build" && pwd)"
log="$build/build.log"
jobs="${ACLSIM_BUILD_JOBS:-2}"

if [ ! -f "$build/CMakeCache.txt" ] || { [ ! -f "$build/Makefile" ] && [ ! -f "$build/build.ninja" ]; }; then
  if ! CC="$cc" cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1; then
    cat "$log" >&2
    echo "acl-sim build.sh: cmake configure failed (log: $log)" >&2
    exit 1
  fi
fi
if ! cmake --build "$build" --parallel "$jobs" >"$log" 2>&1; then
  cat "$log" >&2
  echo "acl-sim build.sh: build failed (log: $log)" >&2
  exit 1
fi
if grep -q "warning:" "$log"; then grep -B2 -A4 "warning:" "$log" >&2; fi
echo "$build"
