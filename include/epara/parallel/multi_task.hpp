#pragma once
// Multi-task packing: which services share a device. Services whose plans need less than one
// device (Mode::MultiTask) are grouped onto devices so that shares, memory and every member's
// deadline still hold with the others' passes interleaved.

#include <algorithm>
#include <numeric>
#include <span>
#include <vector>

#include "epara/error.hpp"
#include "epara/model/device.hpp"
#include "epara/parallel/plan.hpp"

namespace epara {

/// A service that may share a device: its multi-task plan and its deadline.
struct SharedTenant {
  Plan plan;
  Duration deadline{};
};

/// One shared device and the tenants on it (indices into the packed span).
struct SharedDevice {
  DeviceClassId device_class{};
  std::vector<std::size_t> tenants{};
  double share = 0.0;             ///< sum of the tenants' shares, <= 1
  Bytes memory{};                 ///< sum of the tenants' memory, <= the class's memory
  std::vector<Duration> worst{};  ///< each tenant's worst latency on this device, same order
};

/// What a multi-task tenant planned by `plan` tolerates of its neighbours' passes between two
/// of its own. `passes`: one pass of each neighbour, within its deadline (less its own worst
/// batched latency). `busy`: the neighbours' passes weighted by how often each has one ready
/// (its utilization), within the time its batch drains in one pass what arrives meanwhile — a
/// tenant with more queued than one pass takes waits behind a busy neighbour's next pass too,
/// and again, while a neighbour that rarely has a pass ready lets it catch up.
struct CoLocationTolerance {
  Duration passes{};
  Duration busy{};
};

inline CoLocationTolerance co_location_tolerance(const Plan& plan, Duration deadline) {
  CoLocationTolerance t{
      deadline - batched_worst_latency(plan.batch_timeout, plan.pass_interval, plan.pass_latency),
      Duration::max()};
  const double rate = plan.demand.per_second / std::max(1, plan.replicas);
  if (rate > 0.0) t.busy = from_seconds(plan.max_batch / rate) - plan.pass_latency;
  return t;
}

/// A tenant's pass weighted by how often it has one ready: what co_location_tolerance's `busy`
/// is spent on.
inline Duration busy_pass(const Plan& plan) {
  return from_seconds(std::clamp(plan.utilization, 0.0, 1.0) * to_seconds(plan.pass_latency));
}

namespace detail {
// Worst latency of tenant `i` when one pass of every other tenant in `group` may run before its
// own: its plan's worst batched latency, plus the others' passes.
inline Duration worst_with(std::span<const SharedTenant> all, const std::vector<std::size_t>& group,
                           std::size_t i) {
  const Plan& p = all[i].plan;
  Duration worst = batched_worst_latency(p.batch_timeout, p.pass_interval, p.pass_latency);
  for (std::size_t j : group)
    if (j != i) worst += all[j].plan.pass_latency;
  return worst;
}
// Whether tenant `i` tolerates the passes of every other tenant in `group`.
inline bool tolerates_the_others(std::span<const SharedTenant> all,
                                 const std::vector<std::size_t>& group, std::size_t i) {
  Duration passes{}, busy{};
  for (std::size_t j : group) {
    if (j == i) continue;
    passes += all[j].plan.pass_latency;
    busy += busy_pass(all[j].plan);
  }
  const CoLocationTolerance t = co_location_tolerance(all[i].plan, all[i].deadline);
  return passes <= t.passes && busy <= t.busy;
}
}  // namespace detail

/// First-fit decreasing by share, per device class. A tenant joins a device when the shares
/// stay <= 1, the memory fits, and every tenant on it — old and new — tolerates the others'
/// passes (co_location_tolerance: one pass of each within its deadline, and their busy-weighted
/// passes within what it drains in one pass); otherwise it opens a device.
/// Throws InvalidArgument for a plan that is not a multi-task plan.
inline std::vector<SharedDevice> pack_multi_task(std::span<const SharedTenant> tenants,
                                                 std::span<const DeviceClass> classes) {
  std::vector<std::size_t> order(tenants.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i : order) {
    const Plan& p = tenants[i].plan;
    EPARA_EXPECTS(p.modes.contains(Mode::MultiTask) && p.gpu_share > 0.0 && p.gpu_share < 1.0,
                  "pack_multi_task: every tenant needs a multi-task plan (0 < share < 1)");
    EPARA_EXPECTS(index_of(p.device_class) < classes.size(),
                  "pack_multi_task: unknown device class");
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return tenants[a].plan.gpu_share > tenants[b].plan.gpu_share;
  });
  std::vector<SharedDevice> devices;
  for (std::size_t i : order) {
    const Plan& p = tenants[i].plan;
    const auto fits = [&](const SharedDevice& d) {
      if (d.device_class != p.device_class || d.share + p.gpu_share > 1.0 ||
          d.memory + p.memory_per_gpu > classes[index_of(p.device_class)].memory)
        return false;
      std::vector<std::size_t> group = d.tenants;
      group.push_back(i);
      return std::all_of(group.begin(), group.end(), [&](std::size_t t) {
        return detail::tolerates_the_others(tenants, group, t);
      });
    };
    auto it = std::find_if(devices.begin(), devices.end(), fits);
    if (it == devices.end()) it = devices.insert(devices.end(), SharedDevice{p.device_class});
    it->tenants.push_back(i);
    it->share += p.gpu_share;
    it->memory += p.memory_per_gpu;
  }
  for (SharedDevice& d : devices) {
    d.worst.clear();
    for (std::size_t t : d.tenants) d.worst.push_back(detail::worst_with(tenants, d.tenants, t));
  }
  return devices;
}

}  // namespace epara
