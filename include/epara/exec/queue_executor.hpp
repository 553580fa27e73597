#pragma once
// The engine under the batching, multi-frame, data-parallel and multi-task executors: one queue
// of items, one worker thread per model replica, each taking passes from the queue under a
// BatchPolicy. Every submitted item ends in exactly one Result, shutdown included.

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/exec/detail/intake.hpp"
#include "epara/exec/device_arbiter.hpp"
#include "epara/exec/model.hpp"

namespace epara::exec {

namespace detail {
template <class M>
std::vector<M> single(M model) {  // models are move-only: no initializer list
  std::vector<M> v;
  v.push_back(std::move(model));
  return v;
}
}  // namespace detail

template <Model M>
class QueueExecutor {
 public:
  /// `arbiter` (optional, outliving the executor) is acquired with `priority` around every pass.
  QueueExecutor(std::vector<M> replicas, BatchPolicy policy, Order order,
                DeviceArbiter* arbiter = nullptr, int priority = 0)
      : replicas_(std::move(replicas)),
        intake_(policy, order, largest_batch(replicas_, policy)),
        arbiter_(arbiter),
        priority_(priority) {
    EPARA_EXPECTS(!replicas_.empty(), "executor: at least one model replica is needed");
    for (const M& m : replicas_) {
      EPARA_EXPECTS(std::ranges::equal(m.inputs(), replicas_.front().inputs()) &&
                        std::ranges::equal(m.outputs(), replicas_.front().outputs()),
                    "executor: replicas differ in their input or output tensors");
      EPARA_EXPECTS(policy.max_batch >= 1 && policy.max_batch <= m.max_batch(),
                    fmt::format("executor: batch of {} over the model's limit of {}",
                                policy.max_batch, m.max_batch()));
    }
    workers_.reserve(replicas_.size());
    for (M& m : replicas_) workers_.emplace_back([this, &m] { serve(m); });
  }

  ~QueueExecutor() { shutdown(Drain::Finish); }
  QueueExecutor(const QueueExecutor&) = delete;
  QueueExecutor& operator=(const QueueExecutor&) = delete;

  /// Queues one item; the future (and the callback) get its Result. Never throws for bad
  /// items: inputs that do not fit the model are a rejected Result (bad-input) saying how.
  std::future<Result> submit(Item item, Callback callback = {}) {
    return intake_.submit(inputs(), std::move(item), std::move(callback));
  }

  /// Stops taking items; finishes or rejects those queued; waits for the passes in flight.
  /// Idempotent; the destructor calls it with Drain::Finish.
  void shutdown(Drain drain = Drain::Finish) { intake_.shutdown(drain, workers_); }

  /// The same, for `grace` at most: then what is still queued or in a pass is rejected
  /// (shutdown) and it returns false, its workers left to their models (a model that never
  /// returns still holds the destructor).
  bool shutdown(Drain drain, Duration grace) {
    return intake_.shutdown(drain, workers_, now() + grace);
  }

  /// New passes take up to `max_batch` items (at most the models') and wait up to `timeout`
  /// for them: a changed plan, without rebuilding the models. Thread-safe.
  void retune(std::size_t max_batch, Duration timeout) { intake_.retune(max_batch, timeout); }

  Counts counts() const noexcept { return intake_.counts(); }
  std::size_t queued() const { return intake_.queued(); }
  /// The policy new passes are taken under.
  BatchPolicy policy() const noexcept { return intake_.policy(); }
  std::size_t replicas() const noexcept { return replicas_.size(); }
  std::span<const TensorSpec> inputs() const { return replicas_.front().inputs(); }
  std::span<const TensorSpec> outputs() const { return replicas_.front().outputs(); }

 private:
  // The most items a pass may hold: the smallest replica's limit (none given: the policy's;
  // the constructor then refuses it).
  static std::size_t largest_batch(const std::vector<M>& replicas, const BatchPolicy& policy) {
    std::size_t largest = replicas.empty() ? policy.max_batch : replicas.front().max_batch();
    for (const M& m : replicas) largest = std::min(largest, m.max_batch());
    return largest;
  }

  void serve(M& model) {
    std::vector<Pending> batch;
    while (intake_.next_pass(batch)) {
      detail::guard_pass(batch, intake_.done(), [&] {
        Batch pass = detail::batch_of(batch, model.outputs().size());
        const bool ran = detail::run_guarded(batch, intake_.done(), [&] {
          DeviceArbiter::Hold hold(arbiter_, priority_);
          model.forward(pass);
        });
        if (ran) detail::complete(batch, pass.take_outputs(), model.outputs(), intake_.done());
      });
    }
  }

  std::vector<M> replicas_;
  detail::Intake intake_;
  DeviceArbiter* const arbiter_;
  const int priority_;
  std::vector<std::thread> workers_;  // last: started after everything they use exists
};

}  // namespace epara::exec
