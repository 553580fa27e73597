// GPU executors (cuBLAS reference models) on device 0: the batching executor against the bare
// model loop on the same shapes (target: overhead <= 10% at batch >= 8), multi-task sharing
// against two models in turn, and the reference model's latency by batch. Every benchmark
// reports "no CUDA device" and skips where no GPU is usable.
#include "common/executor_throughput.hpp"
#include "epara/cuda/attention.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "epara/cuda/runtime.hpp"

using namespace epara;

namespace {
const exec::DenseChainWeights& weights(std::uint64_t seed = 1) {
  static const exec::DenseChainWeights a =
      exec::make_dense_chain({1024, 4096, 4096, 4096, 1024}, 1);
  static const exec::DenseChainWeights b =
      exec::make_dense_chain({1024, 4096, 4096, 4096, 1024}, 2);
  return seed == 1 ? a : b;
}
std::size_t batch_of(const benchmark::State& state) {
  return static_cast<std::size_t>(state.range(0));
}

bool have_gpu(benchmark::State& state) {
  const cuda::DeviceQuery q = cuda::query_devices();
  if (q.count == 0) state.SkipWithError(("no CUDA device: " + q.detail).c_str());
  return q.count > 0;
}

void BM_Gpu_BareModel(benchmark::State& state) {
  if (!have_gpu(state)) return;
  cuda::DenseChain model(weights(), batch_of(state));
  bench::bare_loop(state, model, batch_of(state));
}
BENCHMARK(BM_Gpu_BareModel)->ArgName("batch")->Arg(1)->Arg(8)->Arg(32)->Arg(128)->UseRealTime();

void BM_Gpu_BatchingExecutor(benchmark::State& state) {
  if (!have_gpu(state)) return;
  bench::batching_executor(state, cuda::DenseChain(weights(), batch_of(state)), batch_of(state));
}
BENCHMARK(BM_Gpu_BatchingExecutor)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Arg(128)
    ->UseRealTime();

void BM_Gpu_TwoModelsInTurn(benchmark::State& state) {
  if (!have_gpu(state)) return;
  cuda::DenseChain a(weights(1), batch_of(state)), b(weights(2), batch_of(state));
  bench::two_models_in_turn(state, a, b, batch_of(state));
}
BENCHMARK(BM_Gpu_TwoModelsInTurn)->ArgName("batch")->Arg(8)->Arg(32)->UseRealTime();

void BM_Gpu_TwoModelsMultiTask(benchmark::State& state) {
  if (!have_gpu(state)) return;
  bench::two_models_multi_task(state, cuda::DenseChain(weights(1), batch_of(state), {0, 0}),
                               cuda::DenseChain(weights(2), batch_of(state), {0, 0}),
                               batch_of(state), 2);
}
BENCHMARK(BM_Gpu_TwoModelsMultiTask)->ArgName("batch")->Arg(8)->Arg(32)->UseRealTime();

void BM_Gpu_AttentionBlock(benchmark::State& state) {
  if (!have_gpu(state)) return;
  cuda::Attention model(exec::make_attention(128, 512, 1), batch_of(state));
  bench::bare_loop(state, model, batch_of(state));
}
BENCHMARK(BM_Gpu_AttentionBlock)->ArgName("batch")->Arg(1)->Arg(8)->Arg(32)->UseRealTime();
}  // namespace
