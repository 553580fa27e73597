#pragma once
// Model parallelism: a model split into k stages, each on its own device and worker thread,
// pipelined — stage 1 runs pass n while stage 0 runs pass n + 1. A stage's output activations
// are the next stage's input, copied from one device to the next through host memory (LS-N
// services whose model does not fit one GPU, or whose deadline needs the split).

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/exec/detail/channel.hpp"
#include "epara/exec/detail/intake.hpp"
#include "epara/exec/model.hpp"
#include "epara/exec/plan_policy.hpp"

namespace epara::exec {

template <Model S>
class ModelParallelExecutor {
 public:
  /// `stages` run in order; stage i's outputs must be stage i + 1's inputs (types and shapes;
  /// names may differ). Passes of up to policy.max_batch items (at most every stage's).
  ModelParallelExecutor(std::vector<S> stages, BatchPolicy policy)
      : stages_(std::move(stages)), intake_(policy, Order::AsCompleted, policy.max_batch) {
    EPARA_EXPECTS(!stages_.empty(), "model-parallel executor: at least one stage is needed");
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      EPARA_EXPECTS(policy.max_batch >= 1 && policy.max_batch <= stages_[i].max_batch(),
                    fmt::format("model-parallel executor: batch of {} over stage {}'s limit of {}",
                                policy.max_batch, i, stages_[i].max_batch()));
      if (i + 1 < stages_.size())
        EPARA_EXPECTS(feeds(stages_[i].outputs(), stages_[i + 1].inputs()),
                      fmt::format("model-parallel executor: stage {} outputs {} but stage {} "
                                  "takes {}",
                                  i, describe(stages_[i].outputs()), i + 1,
                                  describe(stages_[i + 1].inputs())));
    }
    for (std::size_t i = 0; i + 1 < stages_.size(); ++i)
      links_.push_back(std::make_unique<detail::Channel<InFlight>>(2));  // 2: keeps stages busy
    for (std::size_t i = 0; i < stages_.size(); ++i)
      workers_.emplace_back([this, i] { run_stage(i); });
  }

  /// From a model-parallel plan: one stage per GPU of the replica (k).
  ModelParallelExecutor(std::vector<S> stages, const Plan& plan)
      : ModelParallelExecutor(checked(std::move(stages), plan), batch_policy(plan)) {}

  ~ModelParallelExecutor() { shutdown(Drain::Finish); }
  ModelParallelExecutor(const ModelParallelExecutor&) = delete;
  ModelParallelExecutor& operator=(const ModelParallelExecutor&) = delete;

  std::future<Result> submit(Item item, Callback callback = {}) {
    return intake_.submit(inputs(), std::move(item), std::move(callback));
  }

  void shutdown(Drain drain = Drain::Finish) { intake_.shutdown(drain, workers_); }
  /// As QueueExecutor::shutdown(drain, grace).
  bool shutdown(Drain drain, Duration grace) {
    return intake_.shutdown(drain, workers_, now() + grace);
  }

  Counts counts() const noexcept { return intake_.counts(); }
  std::size_t stages() const noexcept { return stages_.size(); }
  std::span<const TensorSpec> inputs() const { return stages_.front().inputs(); }
  std::span<const TensorSpec> outputs() const { return stages_.back().outputs(); }

 private:
  static std::vector<S> checked(std::vector<S> stages, const Plan& plan) {
    expect_plan_count(stages.size(), plan.gpus_per_replica, "stages");
    return stages;
  }

  // Types and shapes agree, one by one (a free dimension matches only a free one).
  static bool feeds(std::span<const TensorSpec> out, std::span<const TensorSpec> in) {
    return std::ranges::equal(out, in, [](const TensorSpec& a, const TensorSpec& b) {
      return a.dtype == b.dtype && a.shape == b.shape;
    });
  }

  struct InFlight {
    std::vector<Pending> items;
    std::vector<std::vector<Tensor>> activations;  // this stage's inputs; none for stage 0
  };

  std::optional<InFlight> next_input(std::size_t stage) {
    if (stage > 0) return links_[stage - 1]->pop();
    std::vector<Pending> batch;
    if (!intake_.next_pass(batch)) return std::nullopt;
    return InFlight{std::move(batch), {}};
  }

  // Stage 0 reads the items' own inputs; later stages the activations handed on.
  static Batch batch_of(const InFlight& pass, std::size_t outputs) {
    return pass.activations.empty() ? detail::batch_of(pass.items, outputs)
                                    : Batch::over(pass.activations, outputs);
  }

  void run_stage(std::size_t i) {
    S& stage = stages_[i];
    const bool last = i + 1 == stages_.size();
    while (std::optional<InFlight> pass = next_input(i)) {
      detail::guard_pass(pass->items, intake_.done(), [&] {
        Batch batch = batch_of(*pass, stage.outputs().size());
        if (!detail::run_guarded(pass->items, intake_.done(), [&] { stage.forward(batch); }))
          return;
        if (last)
          return detail::complete(pass->items, batch.take_outputs(), stage.outputs(),
                                  intake_.done());
        std::vector<std::vector<Tensor>> out = batch.take_outputs();
        if (auto why = detail::misfit(out, stage.outputs(), fmt::format("stage {} output", i)))
          return detail::reject_all(pass->items, RejectReason::ModelError, *why, intake_.done());
        links_[i]->push(InFlight{std::move(pass->items), std::move(out)});  // allocates nothing
      });
    }
    if (!last) links_[i]->close();  // the next stage drains, then ends
  }

  std::vector<S> stages_;
  detail::Intake intake_;
  std::vector<std::unique_ptr<detail::Channel<InFlight>>> links_;
  std::vector<std::thread> workers_;
};

}  // namespace epara::exec
