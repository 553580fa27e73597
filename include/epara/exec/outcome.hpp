#pragma once
// What became of one submitted item: every item gets exactly one Result.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "epara/exec/tensor.hpp"
#include "epara/units.hpp"

namespace epara::exec {

enum class Outcome {
  InSlo,     ///< output ready by the item's deadline
  Late,      ///< output ready, after the deadline
  Rejected,  ///< no output; `reason` says why
};

enum class RejectReason {
  None,
  BadInput,       ///< inputs that do not fit the model's specs, or a deadline already past with
                  ///< drop_expired
  QueueFull,      ///< the executor's queue was at capacity
  Expired,        ///< the deadline passed while the item waited (drop_expired)
  WouldBeLate,    ///< left out of a pass it would have finished after its deadline (drop_expired)
  Shutdown,       ///< submitted after shutdown, queued when shutdown(Drain::Reject) ran, or still
                  ///< queued or in a pass when a shutdown's grace period ended
  ModelError,     ///< the model's forward threw (`detail` has its message), or set outputs that
                  ///< do not fit its specs
  ExecutorError,  ///< the executor failed around the pass: memory ran out while it packed the
                  ///< pass or handed out its outputs (`detail` has the message)
};

constexpr std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::InSlo:
      return "in-slo";
    case Outcome::Late:
      return "late";
    case Outcome::Rejected:
      return "rejected";
  }
  return "?";
}

constexpr std::string_view to_string(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::None:
      return "none";
    case RejectReason::BadInput:
      return "bad-input";
    case RejectReason::QueueFull:
      return "queue-full";
    case RejectReason::Expired:
      return "expired";
    case RejectReason::WouldBeLate:
      return "would-be-late";
    case RejectReason::Shutdown:
      return "shutdown";
    case RejectReason::ModelError:
      return "model-error";
    case RejectReason::ExecutorError:
      return "executor-error";
  }
  return "?";
}

struct Result {
  Outcome outcome = Outcome::Rejected;
  RejectReason reason = RejectReason::None;
  std::string detail;           ///< for rejections: the specifics (sizes, the model's message)
  std::vector<Tensor> outputs;  ///< one per entry of the model's outputs(); none when rejected
  std::uint64_t sequence = 0;   ///< submission order within the executor (0, 1, 2 ...)
  Duration latency{};           ///< submission to completion
  std::uint32_t batch = 0;      ///< items in the pass that produced it (0 when rejected)
};

/// Counts of outcomes so far; `submitted == in_slo + late + rejected` once nothing is in flight.
struct Counts {
  std::uint64_t submitted = 0, in_slo = 0, late = 0, rejected = 0, passes = 0;
  std::uint64_t finished() const noexcept { return in_slo + late + rejected; }
};

/// Thread-safe counters behind Counts.
class Counters {
 public:
  void submitted() noexcept { submitted_.fetch_add(1, std::memory_order_relaxed); }
  void pass() noexcept { passes_.fetch_add(1, std::memory_order_relaxed); }
  void finished(Outcome o) noexcept {
    (o == Outcome::InSlo  ? in_slo_
     : o == Outcome::Late ? late_
                          : rejected_)
        .fetch_add(1, std::memory_order_relaxed);
  }
  Counts snapshot() const noexcept {
    return {submitted_.load(), in_slo_.load(), late_.load(), rejected_.load(), passes_.load()};
  }

 private:
  std::atomic<std::uint64_t> submitted_{0}, in_slo_{0}, late_{0}, rejected_{0}, passes_{0};
};

}  // namespace epara::exec
