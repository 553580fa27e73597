#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang; ASan and UBSan, whose undefined set includes
# float-cast-overflow and signed overflow) and runs each for SECONDS (default 30) from its
# seed corpus. A crash, a leak, a sanitizer report or a broken round trip fails the run; the
# input that caused it is left in build/fuzz/findings/ (make it a regression test and a seed).
# New inputs the fuzzer finds go to build/fuzz/corpus/; they join the repository's seeds only
# minimized, by hand (docs/building.md, "Fuzzing and static analysis").
#   bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
epara_install_packages
seconds="${1:-30}"

cmake --preset fuzz >/dev/null
harnesses=(scenario_loader trace_parser sync_digest)
# The node's decoders when gRPC was found.
cmake --build --preset fuzz --target help | grep -q "^fuzz_kserve_request:" &&
  harnesses+=(kserve_request)
cmake --build --preset fuzz --target "${harnesses[@]/#/fuzz_}"

mkdir -p build/fuzz/findings
for h in "${harnesses[@]}"; do
  mkdir -p "build/fuzz/corpus/${h}"
  seeds=("fuzz/corpus/${h}")
  [ "${h}" = scenario_loader ] && seeds+=(examples/scenarios)
  log="build/fuzz/${h}.log"
  if ! "build/fuzz/fuzz/fuzz_${h}" -max_total_time="${seconds}" -print_final_stats=1 \
      -artifact_prefix="build/fuzz/findings/${h}-" "build/fuzz/corpus/${h}" "${seeds[@]}" \
      >"${log}" 2>&1; then
    tail -n 40 "${log}"
    echo "fuzz_${h}: FAILED (the input is in build/fuzz/findings/)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "${log}" | grep -o '[0-9]*$')
  echo "fuzz_${h}: ${runs} inputs in ${seconds} s, no finding"
done
