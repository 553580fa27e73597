#pragma once
// The front of every executor: admits items into its queue, hands the workers their passes
// (items that cannot count already rejected), and shuts down — joining the workers — exactly once.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "epara/exec/detail/pass.hpp"

namespace epara::exec::detail {

class Intake {
 public:
  /// `largest_batch`: the most items a pass may ever hold (the model's limit), which retune()
  /// may raise the policy's batch to.
  Intake(BatchPolicy policy, Order order, std::size_t largest_batch)
      : policy_(policy),
        largest_batch_(largest_batch),
        max_batch_(policy.max_batch),
        timeout_ns_(policy.timeout.count()),
        done_(order, largest_batch) {
    EPARA_EXPECTS(policy_.timeout >= Duration::zero(), "executor: negative batch timeout");
    EPARA_EXPECTS(policy_.capacity >= 1, "executor: queue capacity must be >= 1");
  }

  std::future<Result> submit(std::span<const TensorSpec> inputs, Item item, Callback callback) {
    return admit(done_, queue_, policy_, inputs, std::move(item), std::move(callback));
  }

  /// The next pass; empty once the executor is shut down and its queue drained.
  std::vector<Pending> next_pass() {
    const BatchPolicy now = policy();
    for (std::vector<Pending> batch = queue_.pop_batch(now); !batch.empty();
         batch = queue_.pop_batch(now)) {
      drop_late(batch, now, done_);
      if (!batch.empty()) return batch;
    }
    return {};
  }

  /// New passes take up to `max_batch` items and wait up to `timeout` for them (a pass being
  /// gathered keeps the policy it started with). Thread-safe.
  void retune(std::size_t max_batch, Duration timeout) {
    EPARA_EXPECTS(max_batch >= 1 && max_batch <= largest_batch_,
                  fmt::format("executor: batch of {} over the model's limit of {}", max_batch,
                              largest_batch_));
    EPARA_EXPECTS(timeout >= Duration::zero(), "executor: negative batch timeout");
    max_batch_ = max_batch;
    timeout_ns_ = timeout.count();
  }

  /// Stops admitting; finishes or rejects what is queued; waits for `workers`. Idempotent.
  void shutdown(Drain drain, std::vector<std::thread>& workers) {
    std::lock_guard lock(shutdown_mutex_);
    queue_.close();
    if (drain == Drain::Reject)
      for (Pending& p : queue_.take_all())
        done_.finish_rejected(std::move(p), RejectReason::Shutdown, "rejected at shutdown");
    for (std::thread& w : workers)
      if (w.joinable()) w.join();
  }

  Completion& done() noexcept { return done_; }
  Counts counts() const noexcept { return done_.counts(); }
  /// The policy new passes are taken under.
  BatchPolicy policy() const noexcept {
    BatchPolicy p = policy_;
    p.max_batch = max_batch_.load(std::memory_order_relaxed);
    p.timeout = Duration{timeout_ns_.load(std::memory_order_relaxed)};
    return p;
  }
  std::size_t queued() const { return queue_.size(); }

 private:
  const BatchPolicy policy_;  // its batch and timeout as constructed; retune() changes these:
  const std::size_t largest_batch_;
  std::atomic<std::size_t> max_batch_;
  std::atomic<Duration::rep> timeout_ns_;
  Completion done_;
  BatchQueue queue_;
  std::mutex shutdown_mutex_;
};

}  // namespace epara::exec::detail
