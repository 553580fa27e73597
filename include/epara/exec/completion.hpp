#pragma once
// Where every item's Result goes: counts it, then runs its callback and fulfils its future —
// in submission order within each stream when the executor asks for it (data parallel re-orders
// results; items of different streams never wait for each other), never under a lock. Also
// where passes end, so it keeps their measured times.

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "epara/exec/item.hpp"
#include "epara/exec/pass_times.hpp"

namespace epara::exec {

class Completion {
 public:
  Completion(Order order, std::size_t max_batch)
      : ordered_(order == Order::WithinStream), pass_times_(max_batch) {}

  /// Numbers an item as it enters the executor (before it can finish), overall and within its
  /// stream; counts it as submitted.
  void enter(Pending& p) {
    counters_.submitted();
    std::lock_guard lock(mutex_);
    p.sequence = next_sequence_++;
    if (ordered_) p.in_stream = streams_[p.item.stream].entered++;
  }

  void finish(Pending&& p, Result r) {
    r.sequence = p.sequence;
    r.latency = now() - p.submitted;
    counters_.finished(r.outcome);
    if (!ordered_) return deliver(p, std::move(r));
    const std::uint64_t stream = p.item.stream, position = p.in_stream;
    std::unique_lock lock(mutex_);
    StreamOrder& order = streams_.find(stream)->second;  // stable: only its deliverer erases it
    order.finished.emplace(position, std::pair{std::move(p), std::move(r)});
    // One thread at a time delivers a stream, in order and outside the lock: a callback may
    // submit again, which takes the lock. A thread finishing an item of a stream that another
    // is delivering leaves the item to that thread.
    if (order.delivering) return;
    order.delivering = true;
    for (;;) {
      std::vector<std::pair<Pending, Result>> ready;
      for (auto next = order.finished.find(order.delivered); next != order.finished.end();
           next = order.finished.find(order.delivered)) {
        ready.push_back(std::move(next->second));
        order.finished.erase(next);
        ++order.delivered;
      }
      if (ready.empty()) break;
      lock.unlock();
      for (auto& [pending, result] : ready) deliver(pending, std::move(result));
      lock.lock();
    }
    order.delivering = false;
    if (order.delivered == order.entered) streams_.erase(stream);  // nothing of it is out
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

  /// A stream's items entered and delivered so far, and those finished but not delivered (by
  /// their order in the stream).
  struct StreamOrder {
    std::uint64_t entered = 0, delivered = 0;
    bool delivering = false;  ///< a thread is running the stream's callbacks
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
