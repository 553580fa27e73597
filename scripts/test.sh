#!/usr/bin/env bash
# Installs what is missing, checks formatting, then builds and runs every test twice:
# a Release build with warnings as errors, and an ASan+UBSan build (less the benchmarks' smoke
# runs and the CUDA test: docs/building.md, "Continuous integration"); then clang-tidy, the
# threaded tests (executors, the node) under ThreadSanitizer, and the Python package installed by
# pip into a fresh venv. The fuzz harnesses replay their seed corpora among the tests; fuzzing
# itself (scripts/fuzz.sh) is not a CI stage: what a short run finds depends on its luck, and
# CI must not refuse a submission by chance.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
# Each stage's header says when it began, so a log shows where CI's time goes.
stage() { echo "== [$(date -u +%H:%M:%S), $((SECONDS / 60)) min in] $*"; }
epara_setup

stage "format check (clang-format $(clang-format --version | grep -o '[0-9]*\.[0-9.]*' | head -1))"
git ls-files -z '*.hpp' '*.cpp' '*.cu' '*.inl' | xargs -0 -r clang-format --dry-run --Werror

for preset in release asan-ubsan; do
  stage "${preset}: configure, build, test"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}"
done

stage "clang-tidy over src/ (scripts/tidy.sh), with the release build's compile commands"
bash scripts/tidy.sh

stage "tsan: the threaded tests (executors; the node in-process)"
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target test_exec test_node
ctest --preset tsan -R '^(exec|node)[.]'

stage "pip install . into a fresh venv; the Python tests against the installed package"
venv=build/venv
rm -rf "${venv}"
# Debian's pytest (python3-pytest) from the system site; nothing of epara is installed there.
/usr/bin/python3 -m venv --system-site-packages "${venv}"
if ! "${venv}/bin/pip" download -q --no-deps -d "${venv}/probe" scikit-build-core >/dev/null 2>&1; then
  echo "skipped: PyPI is unreachable, and pip install . needs scikit-build-core and pybind11 from it"
else
  "${venv}/bin/pip" install -q .
  # Ray (PyPI) for the sweep on Ray's local cluster; its test skips where Ray is missing.
  "${venv}/bin/pip" install -q ray || echo "Ray could not be installed: the sweep-on-Ray test skips"
  root="${PWD}"
  (cd /tmp && "${root}/${venv}/bin/python" -c \
    "import epara; epara.simulate(epara.load_scenario('${root}/examples/scenarios/testbed.json'))")
  EPARA_SCENARIOS="${root}/examples/scenarios" "${venv}/bin/python" -m pytest -q \
    -p no:cacheprovider tests/python
fi
stage "done"
