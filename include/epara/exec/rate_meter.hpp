#pragma once
// Items per second over a sliding window, from counts in fixed buckets. A count over a time
// has a finite mean and variance under any arrival process; a smoothed items/gap does not (a
// Poisson process's 1/gap has no mean, and one 1 ns gap reads as 10^9/s). Thread-safe.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "epara/error.hpp"
#include "epara/units.hpp"

namespace epara::exec {

class RateMeter {
 public:
  /// Counts kept for `window`, in `buckets` buckets: the rate forgets an arrival between
  /// window - window/buckets and window after it.
  explicit RateMeter(Duration window, int buckets = 10)
      : width_(window / std::max(1, buckets)), counts_(static_cast<std::size_t>(buckets)) {
    EPARA_EXPECTS(buckets > 0 && width_ > Duration::zero(),
                  "RateMeter: the window must be > 0 and split into > 0 buckets");
  }

  /// Records `items` arriving at `now` (times need not be monotonic across threads: an arrival
  /// older than the window is dropped).
  void add(Time now, std::uint64_t items = 1) {
    const std::int64_t b = bucket_of(now);
    std::lock_guard lock(mutex_);
    if (!first_ || b < *first_) first_ = b;
    Bucket& slot = counts_[slot_of(b)];
    if (slot.index != b) {
      if (slot.index > b) return;  // a straggler behind the window
      slot = {b, 0};
    }
    slot.items += items;
  }

  /// Items per second over the last window at `now`, or since the first arrival when that is
  /// shorter (but over at least one bucket, so that the first arrival does not read as a burst).
  /// 0 before any arrival.
  double rate(Time now) const {
    const std::int64_t current = bucket_of(now);
    std::lock_guard lock(mutex_);
    if (!first_) return 0.0;
    const std::int64_t oldest =
        std::max(current - static_cast<std::int64_t>(counts_.size()) + 1, *first_);
    std::uint64_t items = 0;
    for (const Bucket& slot : counts_)
      if (slot.index >= oldest && slot.index <= current) items += slot.items;
    const Duration span = std::max(now.time_since_epoch() - oldest * width_, width_);
    return static_cast<double>(items) / to_seconds(span);
  }

 private:
  struct Bucket {
    std::int64_t index = -1;
    std::uint64_t items = 0;
  };
  std::int64_t bucket_of(Time t) const {
    EPARA_EXPECTS(t >= Time{}, "RateMeter: times before the clock's epoch");
    return t.time_since_epoch() / width_;
  }
  std::size_t slot_of(std::int64_t bucket) const {
    return static_cast<std::size_t>(bucket % static_cast<std::int64_t>(counts_.size()));
  }

  const Duration width_;
  mutable std::mutex mutex_;
  std::vector<Bucket> counts_;
  std::optional<std::int64_t> first_;
};

}  // namespace epara::exec
