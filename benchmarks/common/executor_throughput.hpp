#pragma once
// Throughput of a reference model run bare (its kernel on packed batches in a loop) and through
// executors (items submitted one by one, futures awaited): the same shapes, the same backend,
// side by side, so that the ratio is the executors' overhead — gathering the items' tensors
// into a pass and handing each its output included. Shared by bench_exec (CPU) and bench_cuda
// (GPU).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <future>
#include <random>
#include <span>
#include <vector>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/multi_task_executor.hpp"
#include "epara/exec/random_inputs.hpp"

namespace epara::bench {

inline std::vector<float> random_floats(std::size_t n) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = value(rng);
  return v;
}

/// The floor: the model's kernel on ready-packed batches of `batch`, one after another.
template <class M>
void bare_loop(benchmark::State& state, M& model, std::size_t batch) {
  const std::vector<float> in = random_floats(batch * model.input_size());
  std::vector<float> out(batch * model.output_size());
  for (auto _ : state) {
    model.forward(in, out, batch);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

/// `passes` passes' worth of items submitted one by one to `exec`, all awaited, per iteration.
template <class Submit>
void submit_and_wait(benchmark::State& state, std::size_t items,
                     std::span<const exec::TensorSpec> inputs, Submit&& submit) {
  const std::vector<exec::Tensor> in = exec::random_items(inputs, 1, {}, 3).front();
  std::vector<std::future<exec::Result>> futures;
  futures.reserve(items);
  for (auto _ : state) {
    futures.clear();
    const Time due = exec::now() + std::chrono::hours(1);
    for (std::size_t i = 0; i < items; ++i) futures.push_back(submit(exec::Item{in, due, 0}, i));
    for (auto& f : futures)
      if (f.get().outcome == exec::Outcome::Rejected) state.SkipWithError("an item was rejected");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(items));
}

/// The batching executor on `model`, passes of `batch`, kept full by a standing queue.
template <exec::Model M>
void batching_executor(benchmark::State& state, M model, std::size_t batch) {
  exec::BatchingExecutor exec(std::move(model),
                              exec::BatchPolicy{batch, std::chrono::milliseconds(1)});
  submit_and_wait(state, 32 * batch, exec.inputs(),
                  [&](exec::Item item, std::size_t) { return exec.submit(std::move(item)); });
}

/// Two models, their items alternating: run one after another (the baseline) ...
template <class A, class B>
void two_models_in_turn(benchmark::State& state, A& a, B& b, std::size_t batch) {
  const std::vector<float> in_a = random_floats(batch * a.input_size()),
                           in_b = random_floats(batch * b.input_size());
  std::vector<float> out_a(batch * a.output_size()), out_b(batch * b.output_size());
  for (auto _ : state) {
    a.forward(in_a, out_a, batch);
    b.forward(in_b, out_b, batch);
    benchmark::DoNotOptimize(out_b.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(2 * batch));
}

/// ... or shared by a multi-task executor letting `concurrency` passes overlap.
template <exec::Model A, exec::Model B>
void two_models_multi_task(benchmark::State& state, A a, B b, std::size_t batch,
                           std::size_t concurrency) {
  EPARA_EXPECTS(std::ranges::equal(a.inputs(), b.inputs()),
                "benchmark: the two models take one input");
  const std::vector<exec::TensorSpec> input(a.inputs().begin(), a.inputs().end());
  exec::MultiTaskExecutor exec(concurrency);
  const exec::BatchPolicy policy{batch, std::chrono::milliseconds(1)};
  exec.add_task(std::move(a), policy, 0);
  exec.add_task(std::move(b), policy, 0);
  submit_and_wait(state, 64 * batch, input, [&](exec::Item item, std::size_t i) {
    return exec.submit(i % 2, std::move(item));
  });
}

}  // namespace epara::bench
