#pragma once
// Where every item's Result goes: counts it, then runs its callback and fulfils its future —
// in submission order when the executor asks for it (data parallel re-orders results). Also
// where passes end, so it keeps their measured times.

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "epara/exec/item.hpp"
#include "epara/exec/pass_times.hpp"

namespace epara::exec {

class Completion {
 public:
  Completion(bool in_submission_order, std::size_t max_batch)
      : ordered_(in_submission_order), pass_times_(max_batch) {}

  /// Numbers an item as it enters the executor; counts it as submitted.
  std::uint64_t enter() {
    counters_.submitted();
    std::lock_guard lock(sequence_mutex_);
    return next_sequence_++;
  }

  void finish(Pending&& p, Result r) {
    r.sequence = p.sequence;
    r.latency = now() - p.submitted;
    counters_.finished(r.outcome);
    if (!ordered_) return deliver(p, std::move(r));
    std::lock_guard lock(order_mutex_);  // delivery under the lock keeps the order
    waiting_.emplace(p.sequence, std::pair{std::move(p), std::move(r)});
    for (auto it = waiting_.find(next_delivery_); it != waiting_.end();
         it = waiting_.find(next_delivery_)) {
      deliver(it->second.first, std::move(it->second.second));
      waiting_.erase(it);
      ++next_delivery_;
    }
  }

  void finish_rejected(Pending&& p, RejectReason why, std::string detail = {}) {
    Result r;
    r.outcome = Outcome::Rejected;
    r.reason = why;
    r.detail = std::move(detail);
    finish(std::move(p), std::move(r));
  }

  /// A pass of `batch` items that took `took` ended (its items are finished next).
  void pass(std::size_t batch, Duration took) {
    counters_.pass();
    pass_times_.record(batch, took);
  }
  const PassTimes& pass_times() const noexcept { return pass_times_; }
  Counts counts() const noexcept { return counters_.snapshot(); }

 private:
  static void deliver(Pending& p, Result r) {
    if (p.callback) {
      try {
        p.callback(r);
      } catch (...) {  // documented: a callback must not throw; the item still completes
      }
    }
    p.promise.set_value(std::move(r));
  }

  const bool ordered_;
  Counters counters_;
  PassTimes pass_times_;
  std::mutex sequence_mutex_;
  std::uint64_t next_sequence_ = 0;
  std::mutex order_mutex_;
  std::uint64_t next_delivery_ = 0;
  std::map<std::uint64_t, std::pair<Pending, Result>> waiting_;
};

}  // namespace epara::exec
