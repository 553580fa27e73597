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
      EPARA_EXPECTS(m.input_size() == replicas_.front().input_size() &&
                        m.output_size() == replicas_.front().output_size(),
                    "executor: replicas differ in input or output size");
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
  /// items: a wrong input size is a rejected Result (bad-input) naming both sizes.
  std::future<Result> submit(Item item, Callback callback = {}) {
    return intake_.submit(replicas_.front().input_size(), std::move(item), std::move(callback));
  }

  /// Stops taking items; finishes or rejects those queued; waits for the passes in flight.
  /// Idempotent; the destructor calls it with Drain::Finish.
  void shutdown(Drain drain = Drain::Finish) { intake_.shutdown(drain, workers_); }

  /// New passes take up to `max_batch` items (at most the models') and wait up to `timeout`
  /// for them: a changed plan, without rebuilding the models. Thread-safe.
  void retune(std::size_t max_batch, Duration timeout) { intake_.retune(max_batch, timeout); }

  Counts counts() const noexcept { return intake_.counts(); }
  std::size_t queued() const { return intake_.queued(); }
  /// The policy new passes are taken under.
  BatchPolicy policy() const noexcept { return intake_.policy(); }
  std::size_t replicas() const noexcept { return replicas_.size(); }
  std::size_t input_size() const { return replicas_.front().input_size(); }
  std::size_t output_size() const { return replicas_.front().output_size(); }

 private:
  // The most items a pass may hold: the smallest replica's limit (none given: the policy's;
  // the constructor then refuses it).
  static std::size_t largest_batch(const std::vector<M>& replicas, const BatchPolicy& policy) {
    std::size_t largest = replicas.empty() ? policy.max_batch : replicas.front().max_batch();
    for (const M& m : replicas) largest = std::min(largest, m.max_batch());
    return largest;
  }

  void serve(M& model) {
    for (std::vector<Pending> batch = intake_.next_pass(); !batch.empty();
         batch = intake_.next_pass()) {
      const std::vector<float> in = detail::pack(batch, model.input_size());
      std::vector<float> out(batch.size() * model.output_size());
      const bool ran = detail::run_guarded(batch, intake_.done(), [&] {
        DeviceArbiter::Hold hold(arbiter_, priority_);
        model.forward(in, out, batch.size());
      });
      if (ran) detail::complete(batch, out, model.output_size(), intake_.done());
    }
  }

  std::vector<M> replicas_;
  detail::Intake intake_;
  DeviceArbiter* const arbiter_;
  const int priority_;
  std::vector<std::thread> workers_;  // last: started after everything they use exists
};

}  // namespace epara::exec
