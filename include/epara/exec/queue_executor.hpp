#pragma once
// The engine under the batching, multi-frame, data-parallel and multi-task executors: one queue
// of items, one worker thread per model replica, each taking passes from the queue under a
// BatchPolicy. Every submitted item ends in exactly one Result, shutdown included.

#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/exec/detail/pass.hpp"
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

/// Results in submission order (data parallel), or as passes finish.
enum class Order { AsCompleted, Submission };

template <Model M>
class QueueExecutor {
 public:
  /// `arbiter` (optional, outliving the executor) is acquired with `priority` around every pass.
  QueueExecutor(std::vector<M> replicas, BatchPolicy policy, Order order,
                DeviceArbiter* arbiter = nullptr, int priority = 0)
      : replicas_(std::move(replicas)),
        policy_(policy),
        done_(order == Order::Submission),
        arbiter_(arbiter),
        priority_(priority) {
    EPARA_EXPECTS(!replicas_.empty(), "executor: at least one model replica is needed");
    for (const M& m : replicas_) {
      EPARA_EXPECTS(m.input_size() == replicas_.front().input_size() &&
                        m.output_size() == replicas_.front().output_size(),
                    "executor: replicas differ in input or output size");
      EPARA_EXPECTS(policy_.max_batch >= 1 && policy_.max_batch <= m.max_batch(),
                    fmt::format("executor: batch of {} over the model's limit of {}",
                                policy_.max_batch, m.max_batch()));
    }
    EPARA_EXPECTS(policy_.timeout >= Duration::zero(), "executor: negative batch timeout");
    EPARA_EXPECTS(policy_.capacity >= 1, "executor: queue capacity must be >= 1");
    workers_.reserve(replicas_.size());
    for (M& m : replicas_) workers_.emplace_back([this, &m] { serve(m); });
  }

  ~QueueExecutor() { shutdown(Drain::Finish); }
  QueueExecutor(const QueueExecutor&) = delete;
  QueueExecutor& operator=(const QueueExecutor&) = delete;

  /// Queues one item; the future (and the callback) get its Result. Never throws for bad
  /// items: a wrong input size is a rejected Result (bad-input) naming both sizes.
  std::future<Result> submit(Item item, Callback callback = {}) {
    return detail::admit(done_, queue_, policy_, replicas_.front().input_size(), std::move(item),
                         std::move(callback));
  }

  /// Stops taking items; finishes or rejects those queued; waits for the passes in flight.
  /// Idempotent; the destructor calls it with Drain::Finish.
  void shutdown(Drain drain = Drain::Finish) {
    std::lock_guard lock(shutdown_mutex_);
    queue_.close();
    if (drain == Drain::Reject)
      for (Pending& p : queue_.take_all())
        done_.finish_rejected(std::move(p), RejectReason::Shutdown, "rejected at shutdown");
    for (std::thread& w : workers_)
      if (w.joinable()) w.join();
  }

  Counts counts() const noexcept { return done_.counts(); }
  std::size_t queued() const { return queue_.size(); }
  const BatchPolicy& policy() const noexcept { return policy_; }
  std::size_t replicas() const noexcept { return replicas_.size(); }
  std::size_t input_size() const { return replicas_.front().input_size(); }
  std::size_t output_size() const { return replicas_.front().output_size(); }

 private:
  void serve(M& model) {
    for (std::vector<Pending> batch = queue_.pop_batch(policy_); !batch.empty();
         batch = queue_.pop_batch(policy_)) {
      detail::drop_expired(batch, policy_, done_);
      if (batch.empty()) continue;
      const std::vector<float> in = detail::pack(batch, model.input_size());
      std::vector<float> out(batch.size() * model.output_size());
      const bool ran = detail::run_guarded(batch, done_, [&] {
        DeviceArbiter::Hold hold(arbiter_, priority_);
        model.forward(in, out, batch.size());
      });
      if (ran) detail::complete(batch, out, model.output_size(), done_);
    }
  }

  std::vector<M> replicas_;
  const BatchPolicy policy_;
  Completion done_;
  BatchQueue queue_;
  DeviceArbiter* const arbiter_;
  const int priority_;
  std::mutex shutdown_mutex_;
  std::vector<std::thread> workers_;  // last: started after everything they use exists
};

}  // namespace epara::exec
