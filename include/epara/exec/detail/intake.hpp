#pragma once
// The front of every executor: admits items into its queue, hands the workers their passes
// (items that cannot count already rejected), and shuts down — joining the workers — exactly once.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
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

  /// Moves the next pass into `pass` (items that cannot count already rejected); false once the
  /// executor is shut down and its queue drained. Memory running out while the pass is taken
  /// rejects the items taken (executor-error); the next try comes a millisecond later, so that
  /// a worker whose every try fails waits for memory instead of spinning on the queue's lock.
  bool next_pass(std::vector<Pending>& pass) noexcept {
    for (;;) {
      pass.clear();
      try {
        const BatchPolicy now = policy();
        if (!queue_.pop_batch(now, pass)) return false;
        drop_late(pass, now, done_);
        if (!pass.empty()) return true;
      } catch (...) {
        reject_all(pass, RejectReason::ExecutorError, current_message(), done_);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
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

  /// Stops admitting; finishes or rejects (`drain`) what is queued; waits until every item
  /// has its Result and joins `workers`. Idempotent.
  void shutdown(Drain drain, std::vector<std::thread>& workers) {
    std::lock_guard lock(shutdown_mutex_);
    stop_admitting(drain);
    done_.wait_all_answered();
    join(workers);
  }

  /// The same, waiting until `deadline` at most: then rejects (shutdown) what is still queued
  /// or in a pass, and returns false without joining the workers whose model has not returned
  /// (a thread cannot be stopped; the next shutdown(), the destructor's, waits for them).
  bool shutdown(Drain drain, std::vector<std::thread>& workers, Time deadline) {
    std::lock_guard lock(shutdown_mutex_);
    stop_admitting(drain);
    if (!done_.wait_all_answered(deadline)) {
      reject_queued("the shutdown's grace period ended while it was queued");
      done_.abandon(RejectReason::Shutdown, "its pass outlived the shutdown's grace period");
      return false;
    }
    join(workers);
    return true;
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

  void stop_admitting(Drain drain) {
    queue_.close();
    if (drain == Drain::Reject) reject_queued("rejected at shutdown");
  }

  // One item at a time: nothing allocated, no callback run under the queue's lock.
  void reject_queued(std::string_view why) {
    while (std::optional<Pending> p = queue_.pop_oldest())
      done_.finish_rejected(*p, RejectReason::Shutdown, why);
  }

  static void join(std::vector<std::thread>& workers) {
    for (std::thread& w : workers)
      if (w.joinable()) w.join();
  }
};

}  // namespace epara::exec::detail
