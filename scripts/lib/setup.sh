# Sourced by the scripts in scripts/: installs the Debian packages libepara builds with (only
# those missing, so a second run prints nothing) and points CMake at the CUDA toolkit if present.

epara_packages=(
  g++ cmake ninja-build                 # toolchain
  libeigen3-dev libfmt-dev              # epara::core
  nlohmann-json3-dev libcli11-dev       # epara::io, command-line programs
  catch2 libbenchmark-dev               # tests, benchmarks
  clang-format                          # the format check of scripts/test.sh
  clang libclang-rt-14-dev              # the libFuzzer harnesses (scripts/fuzz.sh)
  pybind11-dev python3-dev python3-pytest   # the Python module and its tests
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc   # epara-node
  libcpp-httplib-dev pkg-config         # epara-node's /metrics endpoint
  python3-yaml                          # the check of deploy/'s Kubernetes manifests
  openssl                               # certificates for the peer-TLS test
  libglpk-dev                           # the LP bound (epara::bound)
  libtorch-dev                          # TorchScript models (epara::torchscript)
  python3-torch python3-torchvision     # tools/export_models.py: real architectures to serve
  python3-matplotlib                    # tools/plot.py: the figures
)

epara_install_packages() {
  local missing=()
  for p in "${epara_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# CUDA is optional: use the toolkit in /usr/local/cuda when nvcc is not already on PATH.
epara_find_cuda() {
  if [ -z "${CUDACXX:-}" ] && ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    export CUDACXX=/usr/local/cuda/bin/nvcc
  fi
}

# Runs a command with its output hidden unless it fails (then all of it is shown).
epara_quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

epara_setup() {
  epara_install_packages
  epara_find_cuda
}
