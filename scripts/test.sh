#!/usr/bin/env bash
# Runs the whole test suite (what CI runs). Installs what the tests need first (scripts/setup.sh).
# Builds native/cann/acl-sim and points BACKENDS_ASCENDCL_PATH at it, so cann:0 runs on the AscendCL stand-in.
# BACKENDS_REQUIRE=cpu,opencl,cuda-emu,cann makes a missing device a failure instead of a skip; BACKENDS_SEED=N replays a run.
# A full run (no arguments) then repeats the CPU tests at 256- and 128-bit vector widths (DOTNET_EnableAVX512=0,
# DOTNET_EnableAVX2=0), so every fallback width of the CPU kernels is exercised on an AVX-512 machine too, and once
# with the CPU tuning profile this CPU would not choose (BACKENDS_CPU_TUNING: intel on AMD family 19h, else zen4),
# so each profile switch's other paths run too.
# The last line printed is the total: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# The CANN backend runs on native/cann/acl-sim, the AscendCL stand-in, built here and loaded only through this variable.
if sim_dir=$(native/cann/acl-sim/build.sh | tail -n 1) && [ -e "$sim_dir/libascendcl.so" ]; then
  export BACKENDS_ASCENDCL_PATH="$sim_dir"
  echo "test.sh: cann runs on acl-sim from $sim_dir"
else
  echo "test.sh: building native/cann/acl-sim failed; the cann backend is unavailable" >&2
fi
rm -rf TestResults
rc=0
dotnet test Backends.sln -c Release --nologo \
  --logger "trx;LogFilePrefix=tests" \
  --logger "console;verbosity=minimal" \
  --results-directory TestResults "$@" || rc=$?

# The CPU backend's tests again at the narrower vector widths (AVX2, then 128-bit without FMA), the fallback paths that
# an AVX-512 machine never takes otherwise. Only for a full run (no arguments).
if [ $# -eq 0 ]; then
  for width in DOTNET_EnableAVX512=0:avx2 DOTNET_EnableAVX2=0:128bit; do
    echo "test.sh: the CPU tests with ${width%%:*}"
    env "${width%%:*}" dotnet test tests/Backends.Tests -c Release --no-build --nologo \
      --filter "DisplayName~cpu:0|FullyQualifiedName~Backends.Tests.Cpu" \
      --logger "trx;LogFilePrefix=cpu-${width##*:}" \
      --logger "console;verbosity=minimal" \
      --results-directory TestResults || rc=$?
  done

  # The tuning profile's other choices (software fetches, decode runs, the unpacked-B layout: docs/cpu.md, "Tuning
  # profile"): intel and zen4 differ in every one of them, so on an Intel or Zen 4 CPU this pass and the main run take
  # both sides of each (elsewhere the generic profile and zen4 share the one-row runs and the unpermute fetch).
  family=$(grep -m1 '^cpu family' /proc/cpuinfo 2>/dev/null | grep -o '[0-9]*$')
  if grep -qm1 'AuthenticAMD' /proc/cpuinfo 2>/dev/null && [ "$family" = "25" ]; then other=intel; else other=zen4; fi
  echo "test.sh: the CPU tests with BACKENDS_CPU_TUNING=$other"
  BACKENDS_CPU_TUNING=$other dotnet test tests/Backends.Tests -c Release --no-build --nologo \
    --filter "DisplayName~cpu:0|FullyQualifiedName~Backends.Tests.Cpu" \
    --logger "trx;LogFilePrefix=cpu-tuning-$other" \
    --logger "console;verbosity=minimal" \
    --results-directory TestResults || rc=$?
fi

passed=0; failed=0; skipped=0; files=0
for trx in TestResults/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(get total); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + p))
  failed=$((failed + f + e + t + a))
  skipped=$((skipped + total - p - f - e - t - a))
done

if [ "$files" -eq 0 ]; then
  echo "test.sh: no test results were written (the build failed?)"
  failed=$((failed + 1))
  [ "$rc" -ne 0 ] || rc=1
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A run that failed without a failed test: the test host crashed (its remaining tests never ran) or dotnet test failed.
  echo "test.sh: a test run exited with $rc but recorded no failed test (test host crash?): counted as one failure"
  failed=1
fi
if [ "$failed" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$rc"
