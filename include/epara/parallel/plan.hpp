#pragma once
// A parallel plan for one service, and the allocator's answer around it.

#include <algorithm>
#include <string>

#include "epara/model/ids.hpp"
#include "epara/parallel/mode.hpp"
#include "epara/units.hpp"

namespace epara {

/// Worst latency of an item under dynamic batching when its pass starts without queueing: the
/// batch goes once its oldest item has waited `timeout` and the pass in progress has freed the
/// replica (`interval` after it started), so the item waits the later of the two, then its own
/// `pass`. The gather and the pass in progress overlap; they do not add up.
constexpr Duration batched_worst_latency(Duration timeout, Duration interval, Duration pass) {
  return std::max(timeout, interval) + pass;
}

/// How long a replica waits for its batch to fill, as it runs: a replica alone on its devices
/// runs what is queued as soon as it is free (batches still grow to the plan's under load), as
/// waiting for a fuller batch saves device time only a co-located tenant could use; a tenant
/// of a shared device keeps the plan's timeout. The simulator and epara-node both run this.
constexpr Duration gather_timeout(Duration planned, bool alone_on_its_devices) {
  return alone_on_its_devices ? Duration::zero() : planned;
}

/// How a service runs: replicas of k devices of one class, each dispatching passes of up to
/// `max_batch` items, a partial batch once its oldest item has waited `batch_timeout`. Every
/// prediction comes from the cost model (docs/allocator.md).
struct Plan {
  DeviceClassId device_class{};
  ModeSet modes{};

  int gpus_per_replica = 1;     ///< k; > 1 is model parallelism
  int replicas = 1;             ///< d
  int split = 1;                ///< q: replicas each stream's items are spread over (data parallel)
  int max_batch = 1;            ///< items per pass, at most
  int frames_per_pass = 1;      ///< m: items of one stream in one pass (multi-frame when > 1)
  int streams_per_replica = 0;  ///< stream slices on the busiest replica (streams only)
  Duration batch_timeout{};
  double gpu_share = 1.0;  ///< < 1: the replica's share of a GPU it shares (multi-task)
  bool pipelined = false;  ///< model parallel as k pipeline stages derived from a 1-GPU profile

  // Predictions at max_batch: one pass, the time between pass starts when saturated (shorter
  // than a pass when pipelined), and the transfer between two pipeline stages.
  Duration pass_latency{};
  Duration pass_interval{};
  Duration stage_transfer{};
  /// Worst case for one item: batch gathering or the pass in progress, whichever ends later,
  /// then its own pass (batched_worst_latency), plus any co-location reserve.
  Duration worst_latency{};
  double effective_batch = 1.0;  ///< expected items per pass at the planned load
  double utilization = 0.0;      ///< fraction of the busiest replica's time spent on passes
  Rate demand{};                 ///< items per second the plan is sized for
  Rate capacity{};               ///< items per second it sustains at the utilization cap
  Bytes memory_per_gpu{};

  /// GPUs (or CPUs) of the class the plan occupies; fractional when shared.
  double devices() const noexcept { return replicas * gpus_per_replica * gpu_share; }
};

/// Why no plan meets the SLO, or Feasible. The infeasible statuses are ordered from the furthest
/// from a plan to the closest: a larger value got further through the checks.
enum class AllocationStatus {
  Feasible,
  NoProfile,         ///< no latency known for this class at any replica size that fits
  MemoryExceeded,    ///< the model does not fit even the largest replica the pool allows
  DeadlineTooTight,  ///< even one item alone misses the deadline
  NotEnoughDevices,  ///< the load needs more devices than the pool has
};

constexpr std::string_view to_string(AllocationStatus s) noexcept {
  switch (s) {
    case AllocationStatus::Feasible:
      return "feasible";
    case AllocationStatus::NoProfile:
      return "no-profile";
    case AllocationStatus::MemoryExceeded:
      return "memory-exceeded";
    case AllocationStatus::DeadlineTooTight:
      return "deadline-too-tight";
    case AllocationStatus::NotEnoughDevices:
      return "not-enough-devices";
  }
  return "?";
}

/// The allocator's answer: the least-cost feasible plan, or — when none exists — the status,
/// the reason with its numbers, and the closest plan found (meaningful for DeadlineTooTight
/// and NotEnoughDevices).
struct Allocation {
  AllocationStatus status = AllocationStatus::Feasible;
  Plan plan;
  std::string reason{};

  bool feasible() const noexcept { return status == AllocationStatus::Feasible; }
};

}  // namespace epara
