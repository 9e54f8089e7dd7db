#!/usr/bin/env bash
# The main job: list the devices, verify every op on the default device, then benchmark every op on it.
# Extra arguments go to `backends bench` (e.g. --op gemm --shape 2048x2048x2048).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
dotnet build src/Backends.Cli -c Release --nologo -v q -clp:ErrorsOnly
backends=(dotnet src/Backends.Cli/bin/Release/net10.0/backends.dll)
"${backends[@]}" devices
"${backends[@]}" verify --device default
"${backends[@]}" bench --device default "$@"
