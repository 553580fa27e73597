// Catch2 runner for GPU tests: skips the whole executable (exit 77) with a clear message when
// this machine has no usable CUDA device, so CPU-only machines pass while saying why.
#define CATCH_CONFIG_RUNNER
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "epara/cuda/runtime.hpp"

int main(int argc, char** argv) {
  const auto devices = epara::cuda::query_devices();
  if (devices.count == 0) {
    fmt::print("SKIPPED: no usable CUDA device ({})\n", devices.detail);
    return 77;
  }
  fmt::print("CUDA: {}\n", devices.detail);
  return Catch::Session().run(argc, argv);
}
