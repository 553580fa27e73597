// The CUDA reference models against the CPU ones: same weights, fresh random inputs.
#include <catch2/catch.hpp>

#include "cuda/reference.hpp"
#include "epara/cuda/attention.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "epara/exec/reference/cpu_attention.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"

using namespace epara;
using test::nonzero_values;
using test::relative_error;

TEST_CASE("cuBLAS dense chain = Eigen dense chain (fp32, rel. error < 1e-4)", "[gpu]") {
  const exec::DenseChainWeights w = exec::make_dense_chain({256, 1024, 1024, 512, 64}, 21);
  exec::CpuDenseChain cpu(w, 64);
  cuda::DenseChain gpu(w, 64);
  CHECK(gpu.memory() > w.bytes());  // weights plus activation buffers
  unsigned seed = 100;
  for (std::size_t n : {1u, 7u, 64u}) {
    const std::vector<float> in = nonzero_values(n * 256, seed++);
    std::vector<float> want(n * 64), got(n * 64);
    cpu.forward(in, want, n);
    gpu.forward(in, got, n);
    INFO("batch " << n);
    CHECK(relative_error(got, want) < 1e-4);
  }
}

TEST_CASE("cuBLAS attention = Eigen attention (fp32, rel. error < 1e-4)", "[gpu]") {
  const exec::AttentionWeights w = exec::make_attention(32, 128, 5);
  exec::CpuAttention cpu(w, 16);
  cuda::Attention gpu(w, 16);
  unsigned seed = 200;
  for (std::size_t n : {1u, 5u, 16u}) {
    const std::vector<float> in = nonzero_values(n * w.input_size(), seed++);
    std::vector<float> want(in.size()), got(in.size());
    cpu.forward(in, want, n);
    gpu.forward(in, got, n);
    INFO("batch " << n);
    CHECK(relative_error(got, want) < 1e-4);
  }
}

TEST_CASE("CUDA models reject bad calls clearly", "[gpu]") {
  const exec::DenseChainWeights w = exec::make_dense_chain({8, 8}, 1);
  CHECK_THROWS_WITH(cuda::DenseChain(w, 4, {999, 0}),
                    Catch::Matchers::Contains("CUDA device 999 does not exist"));
  cuda::DenseChain gpu(w, 4);
  std::vector<float> in(8 * 5), out(8 * 5);
  CHECK_THROWS_WITH(gpu.forward(in, out, 5),
                    "dense chain: forward of 5 items with 40 inputs and 40 outputs");
}
