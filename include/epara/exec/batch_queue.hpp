#pragma once
// A closable queue that hands out passes: up to max_batch items (of one stream when asked),
// after waiting at most `timeout` from the oldest item's submission for the pass to fill.

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
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
      if (items_.size() >= capacity) return std::pair{std::move(p), RejectReason::QueueFull};
      items_.push_back(std::move(p));
    }
    ready_.notify_all();
    return std::nullopt;
  }

  /// Blocks for the next pass; empty once the queue is closed and drained.
  std::vector<Pending> pop_batch(const BatchPolicy& policy) {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
      if (items_.empty()) return {};
      const Time until = items_.front().submitted + policy.timeout;
      ready_.wait_until(lock, until, [&] {
        return closed_ || items_.empty() || eligible(policy) >= policy.max_batch;
      });
      if (!items_.empty()) return take(policy);  // else another worker took it: wait again
    }
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  std::vector<Pending> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<Pending> all(std::make_move_iterator(items_.begin()),
                             std::make_move_iterator(items_.end()));
    items_.clear();
    return all;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  // Items that may share a pass with the oldest one.
  std::size_t eligible(const BatchPolicy& policy) const {
    if (!policy.same_stream) return items_.size();
    const std::uint64_t stream = items_.front().item.stream;
    return static_cast<std::size_t>(std::count_if(
        items_.begin(), items_.end(), [&](const Pending& p) { return p.item.stream == stream; }));
  }
  std::vector<Pending> take(const BatchPolicy& policy) {
    const std::uint64_t stream = items_.front().item.stream;
    std::vector<Pending> batch;
    for (auto it = items_.begin(); it != items_.end() && batch.size() < policy.max_batch;) {
      if (!policy.same_stream || it->item.stream == stream) {
        batch.push_back(std::move(*it));
        it = items_.erase(it);
      } else {
        ++it;
      }
    }
    return batch;
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Pending> items_;
  bool closed_ = false;
};

}  // namespace epara::exec
