#pragma once
// How long an executor's passes take, by batch size, measured on its own passes (from the pass
// being handed out to its results, so a pipeline's stages and their hand-offs count): what it
// predicts a pass will take when it decides which queued items can still make their deadline.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "epara/units.hpp"

namespace epara::exec {

class PassTimes {
 public:
  explicit PassTimes(std::size_t max_batch)
      : max_batch_(max_batch), ns_(std::make_unique<std::atomic<std::int64_t>[]>(max_batch + 1)) {}

  /// A pass of `batch` items took `took`, ending at `ended`: smoothed over ~4 passes of that
  /// size, so the estimate follows contention on the machine.
  void record(std::size_t batch, Duration took, Time ended = Time{}) {
    last_end_ns_.store(ended.time_since_epoch().count(), std::memory_order_relaxed);
    if (batch == 0 || batch > max_batch_ || took <= Duration::zero()) return;
    auto& slot = ns_[batch];
    const std::int64_t old = slot.load(std::memory_order_relaxed);
    slot.store(old == 0 ? took.count() : (3 * old + took.count()) / 4, std::memory_order_relaxed);
  }

  /// When the last pass recorded ended.
  Time last_end() const noexcept {
    return Time{Duration{last_end_ns_.load(std::memory_order_relaxed)}};
  }

  /// What a pass of `batch` items will take: the time measured at that size, else at the
  /// nearest larger size measured (passes grow with their batch, so that bounds it), else the
  /// largest smaller size measured scaled up per item. nullopt before any pass.
  std::optional<Duration> predict(std::size_t batch) const {
    if (batch == 0 || batch > max_batch_) return std::nullopt;
    for (std::size_t b = batch; b <= max_batch_; ++b)
      if (const auto ns = ns_[b].load(std::memory_order_relaxed); ns > 0) return Duration{ns};
    for (std::size_t b = batch - 1; b >= 1; --b)
      if (const auto ns = ns_[b].load(std::memory_order_relaxed); ns > 0)
        return Duration{ns * static_cast<std::int64_t>(batch) / static_cast<std::int64_t>(b)};
    return std::nullopt;
  }

 private:
  const std::size_t max_batch_;
  std::unique_ptr<std::atomic<std::int64_t>[]> ns_;  // per batch size; 0: not measured
  std::atomic<Duration::rep> last_end_ns_{0};
};

}  // namespace epara::exec
