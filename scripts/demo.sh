#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main program on its embedded default scenario
# (examples/scenarios/testbed.json). Arguments go to the program: scripts/demo.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
epara_setup

[ -x build/release/src/cli/epara-allocate ] ||
  echo "Building epara-allocate (the first build takes a minute or two)..." >&2
epara_quietly cmake --preset release
epara_quietly cmake --build --preset release --target epara-allocate
exec build/release/src/cli/epara-allocate "$@"
