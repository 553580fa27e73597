#pragma once
// Grants a shared device to at most `concurrency` passes at a time, highest priority first,
// first come first served among equals. Multi-task executors share one per device: 1 time-slices
// a CPU or a GPU between tasks; more lets passes overlap (a GPU's streams, whose own priorities
// then order the kernels).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <utility>

#include "epara/error.hpp"

namespace epara::exec {

class DeviceArbiter {
 public:
  explicit DeviceArbiter(std::size_t concurrency = 1) : concurrency_(concurrency) {
    EPARA_EXPECTS(concurrency >= 1, "DeviceArbiter: concurrency must be >= 1");
  }

  void acquire(int priority) {
    std::unique_lock lock(mutex_);
    const Ticket mine{-priority, next_ticket_++};
    waiting_.insert(mine);
    granted_.wait(lock, [&] { return in_use_ < concurrency_ && *waiting_.begin() == mine; });
    waiting_.erase(waiting_.begin());
    ++in_use_;
    if (in_use_ < concurrency_) granted_.notify_all();  // the next waiter may fit too
  }

  void release() {
    {
      std::lock_guard lock(mutex_);
      --in_use_;
    }
    granted_.notify_all();
  }

  /// Passes waiting for the device now.
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

  /// Holds the device for one scope.
  class Hold {
   public:
    Hold(DeviceArbiter* arbiter, int priority) : arbiter_(arbiter) {
      if (arbiter_) arbiter_->acquire(priority);
    }
    ~Hold() {
      if (arbiter_) arbiter_->release();
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    DeviceArbiter* arbiter_;
  };

 private:
  using Ticket = std::pair<int, std::uint64_t>;  // (−priority, arrival): smallest goes first
  const std::size_t concurrency_;
  mutable std::mutex mutex_;
  std::condition_variable granted_;
  std::set<Ticket> waiting_;
  std::uint64_t next_ticket_ = 0;
  std::size_t in_use_ = 0;
};

}  // namespace epara::exec
