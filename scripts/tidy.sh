#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone, performance, naming) over the library's and programs'
# sources with the Release build's compile commands; any finding fails. Needs the Release
# build (cmake --preset release). GCC-only warning options in the commands are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/release/compile_commands.json ] || { echo "tidy: configure the release preset first" >&2; exit 1; }
# Every source the Release build compiles (not .cu files, nor generated code), but the
# TorchScript backend: clang 14 cannot compile Debian's libtorch headers (c10::IValue).
mapfile -t files < <(python3 -c '
import json, os
root = os.getcwd() + "/src/"
seen = {e["file"] for e in json.load(open("build/release/compile_commands.json"))}
print("\n".join(sorted(f for f in seen if f.startswith(root) and f.endswith(".cpp")
                       and not f.startswith(root + "torchscript/"))))')
echo "clang-tidy over ${#files[@]} files of src/"
printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 1 clang-tidy -p build/release --quiet --extra-arg=-Wno-unknown-warning-option
echo "clang-tidy: no finding"
