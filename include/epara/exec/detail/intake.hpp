#pragma once
// The front of every executor: admits items into its queue, hands the workers their passes
// (items that cannot count already rejected), and shuts down — joining the workers — exactly once.

#include <mutex>
#include <thread>
#include <vector>

#include "epara/exec/detail/pass.hpp"

namespace epara::exec::detail {

class Intake {
 public:
  Intake(BatchPolicy policy, Order order) : policy_(policy), done_(order, policy.max_batch) {
    EPARA_EXPECTS(policy_.timeout >= Duration::zero(), "executor: negative batch timeout");
    EPARA_EXPECTS(policy_.capacity >= 1, "executor: queue capacity must be >= 1");
  }

  std::future<Result> submit(std::size_t input_size, Item item, Callback callback) {
    return admit(done_, queue_, policy_, input_size, std::move(item), std::move(callback));
  }

  /// The next pass; empty once the executor is shut down and its queue drained.
  std::vector<Pending> next_pass() {
    for (std::vector<Pending> batch = queue_.pop_batch(policy_); !batch.empty();
         batch = queue_.pop_batch(policy_)) {
      drop_late(batch, policy_, done_);
      if (!batch.empty()) return batch;
    }
    return {};
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
  const BatchPolicy& policy() const noexcept { return policy_; }
  std::size_t queued() const { return queue_.size(); }

 private:
  const BatchPolicy policy_;
  Completion done_;
  BatchQueue queue_;
  std::mutex shutdown_mutex_;
};

}  // namespace epara::exec::detail
