#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: the simulator comparing the five
# strategies on the embedded default scenario (examples/scenarios/testbed.json, at its busy
# hour). Arguments go to the program: scripts/demo.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
epara_setup

[ -x build/release/src/cli/epara-sim ] ||
  echo "Building epara-sim (the first build takes a few minutes)..." >&2
epara_quietly cmake --preset release
epara_quietly cmake --build --preset release --target epara-sim
exec build/release/src/cli/epara-sim "$@"
