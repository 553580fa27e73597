#pragma once
// A closable queue that hands out passes: up to max_batch items (of one stream when asked),
// after waiting at most `timeout` from the oldest item's submission for the pass to fill.
//
// Items are kept per stream, with the streams' order of arrival beside them, so that counting
// the oldest item's stream and taking a pass cost the pass, not the queue: a queue at its
// 65,536-item capacity once rescanned every item on each push and erased mid-deque per item.

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "epara/exec/item.hpp"

namespace epara::exec {

class BatchQueue {
 public:
  /// Moves `p` into the queue, or says why not (closed: shutdown; full: queue-full) and leaves
  /// it with the caller, as it does if memory runs out (std::bad_alloc, the queue unchanged).
  std::optional<RejectReason> push(Pending& p, std::size_t capacity) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return RejectReason::Shutdown;
      if (size_ >= capacity) return RejectReason::QueueFull;
      const std::uint64_t stream = p.item.stream;
      const auto s = streams_.try_emplace(stream).first;
      const std::size_t arrivals = arrivals_.size();
      try {  // each push_back leaves its container unchanged if it throws
        arrivals_.push_back(stream);
        s->second.items.push_back(std::move(p));
      } catch (...) {
        if (arrivals_.size() > arrivals) arrivals_.pop_back();
        forget_if_done(s);
        throw;
      }
      ++size_;
    }
    ready_.notify_all();
    return std::nullopt;
  }

  /// Blocks for the next pass and moves it into `pass` (empty); false once the queue is closed
  /// and drained. Out of memory (std::bad_alloc), it leaves the items queued.
  bool pop_batch(const BatchPolicy& policy, std::vector<Pending>& pass) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return closed_ || size_ > 0; });
      if (size_ == 0) return false;
      const Time until = oldest().items.front().submitted + policy.timeout;
      ready_.wait_until(lock, until, [&] {
        return closed_ || size_ == 0 || eligible(policy) >= policy.max_batch;
      });
      if (size_ > 0) {  // else another worker took it: wait again
        take(policy, pass);
        return true;
      }
    }
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  /// The oldest queued item, if any (one at a time: allocates nothing).
  std::optional<Pending> pop_oldest() {
    std::lock_guard lock(mutex_);
    if (size_ == 0) return std::nullopt;
    return take_oldest();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return size_;
  }

 private:
  // A stream's queued items in submission order, and how many of its entries in arrivals_ are
  // of items already taken (always its earliest entries there: a stream's items leave in order).
  struct Stream {
    std::deque<Pending> items;
    std::size_t stale = 0;
  };

  // The stream of the oldest queued item (size_ > 0), dropping stale arrivals on the way.
  Stream& oldest() {
    for (;;) {
      const auto found = streams_.find(arrivals_.front());
      Stream& s = found->second;
      if (s.stale == 0) return s;
      --s.stale;
      arrivals_.pop_front();
      forget_if_done(found);
    }
  }

  void forget_if_done(std::unordered_map<std::uint64_t, Stream>::iterator it) {
    if (it->second.items.empty() && it->second.stale == 0) streams_.erase(it);
  }

  Pending take_oldest() {
    Stream& s = oldest();
    const std::uint64_t stream = arrivals_.front();
    Pending p = std::move(s.items.front());
    s.items.pop_front();
    arrivals_.pop_front();
    --size_;
    forget_if_done(streams_.find(stream));
    return p;
  }

  // Items that may share a pass with the oldest one.
  std::size_t eligible(const BatchPolicy& policy) {
    return policy.same_stream ? oldest().items.size() : size_;
  }

  // Room first, so that no item leaves the queue unless it reaches `pass`.
  void take(const BatchPolicy& policy, std::vector<Pending>& pass) {
    pass.reserve(std::min(policy.max_batch, eligible(policy)));
    if (!policy.same_stream) {
      while (size_ > 0 && pass.size() < policy.max_batch) pass.push_back(take_oldest());
      return;
    }
    Stream& s = oldest();
    const std::uint64_t stream = arrivals_.front();
    while (!s.items.empty() && pass.size() < policy.max_batch) {
      pass.push_back(std::move(s.items.front()));
      s.items.pop_front();
      ++s.stale;  // its arrival entries go when they reach the front
      --size_;
    }
    forget_if_done(streams_.find(stream));
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::unordered_map<std::uint64_t, Stream> streams_;
  std::deque<std::uint64_t> arrivals_;  // the stream of every queued item, in submission order
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace epara::exec
