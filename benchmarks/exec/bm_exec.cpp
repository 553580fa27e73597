// CPU executors (Eigen reference models): overhead against the bare model, data-parallel
// scaling over threads, multi-task sharing against running two models in turn; the batch
// queue against the deque it replaced.
#include "common/executor_throughput.hpp"
#include "epara/exec/batch_queue.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "exec/deque_batch_queue.hpp"

using namespace epara;

namespace {
// Small enough for a 2-core machine, large enough that a pass is ~0.1-1 ms.
const exec::DenseChainWeights& weights() {
  static const exec::DenseChainWeights w = exec::make_dense_chain({256, 512, 512, 256}, 1);
  return w;
}
std::size_t batch_of(const benchmark::State& state) {
  return static_cast<std::size_t>(state.range(0));
}

void BM_Cpu_BareModel(benchmark::State& state) {
  exec::CpuDenseChain model(weights(), batch_of(state));
  bench::bare_loop(state, model, batch_of(state));
}
BENCHMARK(BM_Cpu_BareModel)->ArgName("batch")->Arg(1)->Arg(8)->Arg(32)->UseRealTime();

void BM_Cpu_BatchingExecutor(benchmark::State& state) {
  bench::batching_executor(state, exec::CpuDenseChain(weights(), batch_of(state)), batch_of(state));
}
BENCHMARK(BM_Cpu_BatchingExecutor)->ArgName("batch")->Arg(1)->Arg(8)->Arg(32)->UseRealTime();

void BM_Cpu_DataParallel(benchmark::State& state) {
  const auto replicas = static_cast<std::size_t>(state.range(0));
  std::vector<exec::CpuDenseChain> models;
  for (std::size_t r = 0; r < replicas; ++r) models.emplace_back(weights(), 8);
  exec::DataParallelExecutor exec(std::move(models),
                                  exec::BatchPolicy{8, std::chrono::milliseconds(1)});
  bench::submit_and_wait(state, 32 * 8, exec.inputs(), [&](exec::Item item, std::size_t) {
    return exec.submit(std::move(item));
  });
}
BENCHMARK(BM_Cpu_DataParallel)->ArgName("replicas")->Arg(1)->Arg(2)->UseRealTime();

void BM_Cpu_TwoModelsInTurn(benchmark::State& state) {
  exec::CpuDenseChain a(weights(), 8), b(exec::make_dense_chain({256, 512, 512, 256}, 2), 8);
  bench::two_models_in_turn(state, a, b, 8);
}
BENCHMARK(BM_Cpu_TwoModelsInTurn)->UseRealTime();

void BM_Cpu_TwoModelsMultiTask(benchmark::State& state) {
  bench::two_models_multi_task(
      state, exec::CpuDenseChain(weights(), 8),
      exec::CpuDenseChain(exec::make_dense_chain({256, 512, 512, 256}, 2), 8), 8,
      static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_Cpu_TwoModelsMultiTask)->ArgName("concurrency")->Arg(1)->Arg(2)->UseRealTime();
}  // namespace

// A queue at its 65,536-item capacity, items of `streams` streams in turn, drained by
// same-stream passes of 8 (multi-frame batching): the per-stream BatchQueue against the deque
// it replaced, which rescanned the queue to count a stream and erased mid-deque.
constexpr std::uint64_t queue_items = 65'536;
exec::BatchPolicy eight_frames() {
  exec::BatchPolicy p;
  p.max_batch = 8;
  p.same_stream = true;
  return p;
}

void BM_BatchQueue_Drain(benchmark::State& state) {
  const auto streams = static_cast<std::uint64_t>(state.range(0));
  const exec::BatchPolicy policy = eight_frames();
  for (auto _ : state) {
    exec::BatchQueue queue;
    for (std::uint64_t i = 0; i < queue_items; ++i) {
      exec::Pending p;
      p.item.stream = i % streams;
      p.sequence = i;
      (void)queue.push(p, queue_items);
    }
    std::vector<exec::Pending> pass;
    while (queue.size() > 0) {
      pass.clear();
      benchmark::DoNotOptimize(queue.pop_batch(policy, pass));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queue_items));
}
BENCHMARK(BM_BatchQueue_Drain)->ArgName("streams")->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();

void BM_DequeBatchQueue_Drain(benchmark::State& state) {
  const auto streams = static_cast<std::uint64_t>(state.range(0));
  const exec::BatchPolicy policy = eight_frames();
  for (auto _ : state) {
    test::DequeBatchQueue queue;
    for (std::uint64_t i = 0; i < queue_items; ++i) {
      queue.push(i, i % streams);
      benchmark::DoNotOptimize(queue.eligible(policy));  // pop_batch's wait counts on each push
    }
    while (!queue.items.empty()) benchmark::DoNotOptimize(queue.take(policy));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(queue_items));
}
BENCHMARK(BM_DequeBatchQueue_Drain)->ArgName("streams")->Arg(1)->Arg(64)->Arg(1024)->UseRealTime();
