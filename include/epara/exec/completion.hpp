#pragma once
// Where every item's Result goes. An item entering the executor leaves its promise and callback
// here; finishing it counts the Result, then runs the callback and fulfils the future — in
// submission order within each stream when the executor asks for it (data parallel re-orders
// results; items of different streams never wait for each other), never under a lock. Also
// where passes end, so it keeps their measured times.
//
// Finishing never allocates (what an item needs to be answered is allocated as it enters), so
// an executor out of memory can still answer every item, and finishing twice is harmless: the
// first outcome stands. That is what lets shutdown answer the items of a pass that outlives
// its deadline while the pass still runs (abandon()).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "epara/exec/item.hpp"
#include "epara/exec/pass_times.hpp"

namespace epara::exec {

class Completion {
 public:
  Completion(Order order, std::size_t max_batch)
      : ordered_(order == Order::WithinStream), pass_times_(max_batch) {}

  /// Takes in an item: numbers it (p.sequence), keeps its callback and promise, counts it as
  /// submitted. Throws (std::bad_alloc) with nothing taken in if memory runs out.
  std::future<Result> enter(Pending& p, Callback callback) {
    std::lock_guard lock(mutex_);
    const std::uint64_t sequence = next_sequence_;
    StreamOrder* order = nullptr;
    if (ordered_) {
      order = &streams_[p.item.stream];
      order->sequences.push_back(sequence);
    }
    std::future<Result> future;
    try {
      Waiting& w = waiting_[sequence];  // throws with nothing inserted, or not at all
      w.callback = std::move(callback);
      w.submitted = p.submitted;
      future = w.promise.get_future();
    } catch (...) {
      if (order) {
        order->sequences.pop_back();
        if (order->sequences.empty() && !order->delivering) streams_.erase(p.item.stream);
      }
      throw;
    }
    p.sequence = next_sequence_++;
    counters_.submitted();
    return future;
  }

  /// Gives the item `p` (by its sequence and stream, which a move leaves in place) its Result,
  /// unless it has one already.
  void finish(const Pending& p, Result r) noexcept {
    std::unique_lock lock(mutex_);
    const auto found = waiting_.find(p.sequence);
    if (found == waiting_.end() || found->second.result) return;  // answered already
    r.sequence = p.sequence;
    r.latency = now() - found->second.submitted;
    counters_.finished(r.outcome);
    found->second.result = std::move(r);
    if (ordered_) return deliver_in_order(p.item.stream, lock);
    deliver_outside(found, lock);
    all_answered_if_none_left();
  }

  /// Rejects `p` for `why`; `detail` is left out if memory runs out.
  void finish_rejected(const Pending& p, RejectReason why, std::string_view detail) noexcept {
    finish(p, rejection(why, detail));
  }

  /// Rejects every item entered and not answered yet (those held by passes still running
  /// included: what those passes produce is dropped). Delivery order holds within a stream.
  void abandon(RejectReason why, std::string_view detail) noexcept {
    std::unique_lock lock(mutex_);
    for (auto& [sequence, w] : waiting_) {
      if (w.result) continue;
      w.result = rejection(why, detail);
      w.result->sequence = sequence;
      w.result->latency = now() - w.submitted;
      counters_.finished(Outcome::Rejected);
    }
    if (!ordered_) {
      while (!waiting_.empty()) deliver_outside(waiting_.begin(), lock);
      return all_answered_if_none_left();
    }
    // Streams another thread is delivering are finished by it (all now have their Result).
    for (auto next = idle_stream(); next; next = idle_stream()) deliver_in_order(*next, lock);
  }

  /// Waits until every item entered has been delivered its Result.
  void wait_all_answered() {
    std::unique_lock lock(mutex_);
    all_answered_.wait(lock, [&] { return waiting_.empty(); });
  }
  /// The same until `deadline` at most; true if every item was.
  bool wait_all_answered(Time deadline) {
    std::unique_lock lock(mutex_);
    return all_answered_.wait_until(lock, deadline, [&] { return waiting_.empty(); });
  }

  /// A pass of `batch` items that took `took` ended at `ended` (its items are finished next).
  void pass(std::size_t batch, Duration took, Time ended) noexcept {
    counters_.pass();
    pass_times_.record(batch, took, ended);
  }
  const PassTimes& pass_times() const noexcept { return pass_times_; }
  Counts counts() const noexcept { return counters_.snapshot(); }

 private:
  /// An item entered and not yet delivered; `result` once it has one.
  struct Waiting {
    std::promise<Result> promise;
    Callback callback;
    Time submitted;
    std::optional<Result> result;
  };

  /// An ordered stream's items not yet delivered, in submission order.
  struct StreamOrder {
    std::deque<std::uint64_t> sequences;
    bool delivering = false;  ///< a thread is running the stream's callbacks
  };

  static Result rejection(RejectReason why, std::string_view detail) noexcept {
    Result r;
    r.outcome = Outcome::Rejected;
    r.reason = why;
    try {
      r.detail = detail;
    } catch (...) {  // out of memory: the reason alone says enough
    }
    return r;
  }

  static void deliver(Waiting& w) noexcept {
    if (w.callback) {
      try {
        w.callback(*w.result);
      } catch (...) {  // documented: a callback must not throw; the item still completes
      }
    }
    w.promise.set_value(std::move(*w.result));
  }

  // Takes `it` (which has its Result) out of waiting_ and delivers it with the lock released: a
  // callback may submit again, which takes the lock.
  void deliver_outside(std::unordered_map<std::uint64_t, Waiting>::iterator it,
                       std::unique_lock<std::mutex>& lock) noexcept {
    auto node = waiting_.extract(it);
    lock.unlock();
    deliver(node.mapped());
    lock.lock();
  }

  // One thread at a time delivers a stream, in order and outside the lock. A thread finishing
  // an item of a stream that another is delivering leaves the item to that thread.
  void deliver_in_order(std::uint64_t stream, std::unique_lock<std::mutex>& lock) noexcept {
    StreamOrder& order = streams_.find(stream)->second;  // stable: only its deliverer erases it
    if (order.delivering) return;
    order.delivering = true;
    while (!order.sequences.empty()) {
      const auto next = waiting_.find(order.sequences.front());
      if (!next->second.result) break;
      order.sequences.pop_front();
      deliver_outside(next, lock);
    }
    order.delivering = false;
    if (order.sequences.empty()) streams_.erase(stream);  // nothing of it is out
    all_answered_if_none_left();
  }

  // A stream whose next item has its Result and that no thread is delivering.
  std::optional<std::uint64_t> idle_stream() const {
    for (const auto& [stream, order] : streams_)
      if (!order.delivering && waiting_.find(order.sequences.front())->second.result) return stream;
    return std::nullopt;
  }

  void all_answered_if_none_left() noexcept {
    if (waiting_.empty()) all_answered_.notify_all();
  }

  const bool ordered_;
  Counters counters_;
  PassTimes pass_times_;
  std::mutex mutex_;
  std::condition_variable all_answered_;
  std::uint64_t next_sequence_ = 0;
  std::unordered_map<std::uint64_t, Waiting> waiting_;      // by sequence
  std::unordered_map<std::uint64_t, StreamOrder> streams_;  // ordered: streams with items out
};

}  // namespace epara::exec
