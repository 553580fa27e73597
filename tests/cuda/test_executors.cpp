// Every executor mode with CUDA models. Data and model parallelism use several streams on one
// GPU standing in for devices, and several GPUs where present.
#include <catch2/catch.hpp>

#include "cuda/reference.hpp"
#include "epara/cuda/attention.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "epara/cuda/runtime.hpp"
#include "epara/exec/batching_executor.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_frame_executor.hpp"
#include "epara/exec/multi_task_executor.hpp"
#include "epara/exec/reference/cpu_attention.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;

namespace {
const DenseChainWeights& weights() {
  static const DenseChainWeights w = make_dense_chain({128, 512, 512, 512, 32}, 8);
  return w;
}
int device_for(int replica) { return replica % cuda::query_devices().count; }

// Submits `n` items to `exec` (task-less executors) and checks each against the CPU chain.
template <class Executor>
void check_against_cpu(Executor& exec, std::size_t n, unsigned seed, std::uint64_t streams = 1) {
  CpuDenseChain cpu(weights(), 1);
  std::vector<std::vector<float>> inputs;
  std::vector<std::future<Result>> futures;
  for (std::size_t i = 0; i < n; ++i) {
    inputs.push_back(test::nonzero_values(128, seed + static_cast<unsigned>(i)));
    futures.push_back(exec.submit({{Tensor::of(inputs.back())}, now() + 30s, i % streams}));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Result r = futures[i].get();
    REQUIRE(r.outcome == Outcome::InSlo);
    std::vector<float> want(32);
    cpu.forward(inputs[i], want, 1);
    REQUIRE(test::relative_error(test::output_of(r), want) < 1e-4);
  }
  const Counts c = exec.counts();
  CHECK(c.submitted == n);
  CHECK(c.in_slo == n);
}
}  // namespace

TEST_CASE("GPU batching executor", "[gpu]") {
  BatchingExecutor exec(cuda::DenseChain(weights(), 32), BatchPolicy{32, 1ms});
  check_against_cpu(exec, 200, 1);
}

TEST_CASE("GPU multi-frame executor", "[gpu]") {
  MultiFrameExecutor exec(cuda::DenseChain(weights(), 8), 8, 2ms);
  check_against_cpu(exec, 120, 2, 4);
}

TEST_CASE("GPU data-parallel executor: replicas on streams (and GPUs)", "[gpu]") {
  std::vector<cuda::DenseChain> replicas;
  for (int r = 0; r < 3; ++r)
    replicas.emplace_back(weights(), 16, cuda::StreamOptions{device_for(r), 0});
  DataParallelExecutor exec(std::move(replicas), BatchPolicy{16, 1ms});
  check_against_cpu(exec, 300, 3);
}

TEST_CASE("GPU model-parallel executor: stages on streams (and GPUs)", "[gpu]") {
  std::vector<cuda::DenseChain> stages;
  int i = 0;
  for (const DenseChainWeights& s : split_stages(weights(), 4))
    stages.emplace_back(s, 16, cuda::StreamOptions{device_for(i++), 0});
  ModelParallelExecutor exec(std::move(stages), BatchPolicy{16, 1ms});
  check_against_cpu(exec, 200, 4);
}

TEST_CASE("GPU multi-task executor: two models, prioritized streams", "[gpu]") {
  const AttentionWeights aw = make_attention(16, 64, 3);
  MultiTaskExecutor exec(2);  // both passes may run at once: the stream priorities order them
  const std::size_t dense =
      exec.add_task(cuda::DenseChain(weights(), 16, {0, 0}), BatchPolicy{16, 1ms}, 0);
  const std::size_t attention =
      exec.add_task(cuda::Attention(aw, 8, {0, 1}), BatchPolicy{8, 1ms}, 1);
  CpuDenseChain cpu_dense(weights(), 1);
  CpuAttention cpu_attention(aw, 1);
  std::vector<std::pair<std::vector<float>, std::future<Result>>> a, b;
  for (unsigned i = 0; i < 60; ++i) {
    auto x = test::nonzero_values(128, 500 + i);
    a.emplace_back(x, exec.submit(dense, {{Tensor::of(x)}, now() + 30s, 0}));
    auto y = test::nonzero_values(aw.input_size(), 900 + i);
    b.emplace_back(
        y, exec.submit(attention, {{Tensor::of(y, aw.tensor_spec("").shape)}, now() + 30s, 0}));
  }
  for (auto& [x, f] : a) {
    std::vector<float> want(32);
    cpu_dense.forward(x, want, 1);
    REQUIRE(test::relative_error(test::output_of(f.get()), want) < 1e-4);
  }
  for (auto& [y, f] : b) {
    std::vector<float> want(y.size());
    cpu_attention.forward(y, want, 1);
    REQUIRE(test::relative_error(test::output_of(f.get()), want) < 1e-4);
  }
}
