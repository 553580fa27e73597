#!/usr/bin/env bash
# Runs the 4-node cluster test N times in a row, as ctest runs it, and counts the passes: the
# stability figure of docs/results.md. With --busy, a one-job build of libepara runs beside it
# the whole time (a second build folder, cleaned and rebuilt in a loop), so one core is busy.
#   scripts/cluster_loop.sh N [--busy]      (after: cmake --preset release && cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: scripts/cluster_loop.sh N [--busy]}
bin=build/release/src/node
[ -x "$bin/epara-node" ] || { echo "error: build the release preset first ($bin/epara-node)" >&2; exit 1; }
logs=$(mktemp -d)

busy_pid=
if [ "${2:-}" = "--busy" ]; then
  cmake -S . -B build/busy -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  # Its own process group, so that the build and its compilers stop with it.
  setsid bash -c 'while :; do cmake --build build/busy -j 1 --clean-first >/dev/null 2>&1; done' &
  busy_pid=$!
  trap 'kill -- -"$busy_pid" 2>/dev/null || true' EXIT
  sleep 5  # the build is under way
fi

passed=0
for i in $(seq 1 "$runs"); do
  if python3 tests/node/test_cluster.py "$bin" >"$logs/run-$i.log" 2>&1; then
    passed=$((passed + 1)) verdict=ok
  else
    verdict=FAILED
  fi
  summary=$(grep -E '^FAILED|sustains|goodput .* before' "$logs/run-$i.log" | sed 's/^ok: //' |
            paste -sd ';' -)
  echo "run $i: $verdict: $summary"
done
echo "$passed of $runs passed (logs in $logs)"
