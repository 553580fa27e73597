#pragma once
// A closable queue that hands out passes: up to max_batch items (of one stream when asked),
// after waiting at most `timeout` from the oldest item's submission for the pass to fill.
//
// Items are kept per stream, with the streams' order of arrival beside them, so that counting
// the oldest item's stream and taking a pass cost the pass, not the queue: a queue at its
// 65,536-item capacity once rescanned every item on each push and erased mid-deque per item.

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
  /// The item back when it cannot be queued (closed: shutdown; full: queue-full).
  std::optional<std::pair<Pending, RejectReason>> push(Pending p, std::size_t capacity) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return std::pair{std::move(p), RejectReason::Shutdown};
      if (size_ >= capacity) return std::pair{std::move(p), RejectReason::QueueFull};
      const std::uint64_t stream = p.item.stream;
      streams_[stream].items.push_back(std::move(p));
      arrivals_.push_back(stream);
      ++size_;
    }
    ready_.notify_all();
    return std::nullopt;
  }

  /// Blocks for the next pass; empty once the queue is closed and drained.
  std::vector<Pending> pop_batch(const BatchPolicy& policy) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return closed_ || size_ > 0; });
      if (size_ == 0) return {};
      const Time until = oldest().items.front().submitted + policy.timeout;
      ready_.wait_until(lock, until, [&] {
        return closed_ || size_ == 0 || eligible(policy) >= policy.max_batch;
      });
      if (size_ > 0) return take(policy);  // else another worker took it: wait again
    }
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  /// Every queued item, oldest first.
  std::vector<Pending> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<Pending> all;
    all.reserve(size_);
    while (size_ > 0) all.push_back(take_oldest());
    return all;
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

  std::vector<Pending> take(const BatchPolicy& policy) {
    std::vector<Pending> batch;
    if (!policy.same_stream) {
      while (size_ > 0 && batch.size() < policy.max_batch) batch.push_back(take_oldest());
      return batch;
    }
    Stream& s = oldest();
    const std::uint64_t stream = arrivals_.front();
    while (!s.items.empty() && batch.size() < policy.max_batch) {
      batch.push_back(std::move(s.items.front()));
      s.items.pop_front();
      ++s.stale;  // its arrival entries go when they reach the front
      --size_;
    }
    forget_if_done(streams_.find(stream));
    return batch;
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::unordered_map<std::uint64_t, Stream> streams_;
  std::deque<std::uint64_t> arrivals_;  // the stream of every queued item, in submission order
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace epara::exec
