#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone, performance, naming) over the library's and programs'
# sources with the Release build's compile commands; any finding fails. Needs the Release
# build (cmake --preset release). GCC-only warning options in the commands are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/release/compile_commands.json ] || { echo "tidy: configure the release preset first" >&2; exit 1; }
# What the Release build compiles of src/: its sources, and the unity files that hold the
# libraries' sources (cmake/EparaUnity.cmake) — checked as compiled, a batch at a time, which
# matches the heavy headers' declarations once per batch instead of once per source. Not .cu
# files, nor generated code, nor the TorchScript backend: clang 14 cannot compile Debian's
# libtorch headers (c10::IValue).
mapfile -t files < <(python3 -c '
import json, os
root = os.getcwd()
src = root + "/src/"
unity = root + "/build/release/src/"
seen = {e["file"] for e in json.load(open("build/release/compile_commands.json"))}
print("\n".join(sorted(f for f in seen
                       if (f.startswith(src) and f.endswith(".cpp")
                           and not f.startswith(src + "torchscript/"))
                       or (f.startswith(unity) and "/Unity/" in f))))')
echo "clang-tidy over ${#files[@]} files (unity batches among them) of src/"
# A unity file includes its batch's sources: their findings count as the main file's would
# (the header filter names them), and including a .cpp is what it is for.
printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 1 clang-tidy -p build/release --quiet \
  --extra-arg=-Wno-unknown-warning-option --header-filter="^${PWD}/(include/epara|src)/" \
  --checks=-bugprone-suspicious-include
echo "clang-tidy: no finding"
