// Runs everywhere (no "gpu" label): without a usable GPU, CUDA models say "no CUDA device"
// and nothing crashes; with one, they construct.
#include <catch2/catch.hpp>

#include "epara/cuda/dense_chain.hpp"
#include "epara/cuda/runtime.hpp"
#include "epara/error.hpp"

using namespace epara;

TEST_CASE("CUDA models report a missing device cleanly", "[cuda]") {
  const exec::DenseChainWeights w = exec::make_dense_chain({4, 4}, 1);
  if (cuda::query_devices().count == 0) {
    CHECK_THROWS_AS(cuda::DenseChain(w, 2), CudaError);
    CHECK_THROWS_WITH(cuda::DenseChain(w, 2), Catch::Matchers::StartsWith("no CUDA device: "));
  } else {
    CHECK_NOTHROW(cuda::DenseChain(w, 2));
  }
}
