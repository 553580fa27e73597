#pragma once
// Where every item's Result goes: counts it, then runs its callback and fulfils its future —
// in submission order within each stream when the executor asks for it (data parallel re-orders
// results; items of different streams never wait for each other). Also where passes end, so it
// keeps their measured times.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "epara/exec/item.hpp"
#include "epara/exec/pass_times.hpp"

namespace epara::exec {

class Completion {
 public:
  Completion(Order order, std::size_t max_batch)
      : ordered_(order == Order::WithinStream), pass_times_(max_batch) {}

  /// Numbers an item as it enters the executor (before it can finish); counts it as submitted.
  std::uint64_t enter(std::uint64_t stream) {
    counters_.submitted();
    std::lock_guard lock(mutex_);
    const std::uint64_t sequence = next_sequence_++;
    if (ordered_) streams_[stream].undelivered.push_back(sequence);
    return sequence;
  }

  void finish(Pending&& p, Result r) {
    r.sequence = p.sequence;
    r.latency = now() - p.submitted;
    counters_.finished(r.outcome);
    if (!ordered_) return deliver(p, std::move(r));
    std::lock_guard lock(mutex_);  // delivery under the lock keeps the order
    const auto found = streams_.find(p.item.stream);
    StreamOrder& order = found->second;
    order.finished.emplace(p.sequence, std::pair{std::move(p), std::move(r)});
    while (!order.undelivered.empty()) {
      const auto next = order.finished.find(order.undelivered.front());
      if (next == order.finished.end()) break;  // an earlier item of the stream is still out
      deliver(next->second.first, std::move(next->second.second));
      order.finished.erase(next);
      order.undelivered.pop_front();
    }
    if (order.undelivered.empty()) streams_.erase(found);  // nothing of the stream is out
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

  /// A stream's items not yet delivered, in the order they entered, and those of them finished.
  struct StreamOrder {
    std::deque<std::uint64_t> undelivered;
    std::map<std::uint64_t, std::pair<Pending, Result>> finished;
  };

  const bool ordered_;
  Counters counters_;
  PassTimes pass_times_;
  std::mutex mutex_;
  std::uint64_t next_sequence_ = 0;
  std::unordered_map<std::uint64_t, StreamOrder> streams_;  // ordered: streams with items out
};

}  // namespace epara::exec
