#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main program on its embedded default scenario
# (examples/scenarios/testbed.json). Arguments go to the program: scripts/demo.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
epara_setup

cmake --preset release >/dev/null
cmake --build --preset release --target epara-categorize >/dev/null
exec build/release/src/cli/epara-categorize "$@"
