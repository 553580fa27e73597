#pragma once
// Pieces the strategies share: replica timings from profiles, a device ledger for baselines
// that place instances themselves, and routing helpers.

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "epara/parallel/allocator.hpp"
#include "epara/sim/strategy.hpp"

namespace epara::sim::detail {

/// The timing of k devices of `cls` for a service, from its profile (a measured or scaled
/// k-device curve, or pipeline stages derived from the one-device curve); nullopt without one.
inline std::optional<ReplicaTiming> timing_for(const Scenario& s, ServiceId id, DeviceClassId cls,
                                               int k, TimingSource source) {
  return replica_timing(s, id, cls, k, source);
}

/// k devices' timing: the profile's k-device curve, else (k > 1) pipeline stages derived from
/// its one-device curve.
inline std::optional<ReplicaTiming> profiled_or_pipeline(const Scenario& s, ServiceId id,
                                                         DeviceClassId cls, int k) {
  auto timing = timing_for(s, id, cls, k, TimingSource::Profiled);
  if (!timing && k > 1) timing = timing_for(s, id, cls, k, TimingSource::Pipeline);
  return timing;
}

/// Most devices a baseline's replica spans: the 8 the three copies of this search used, the
/// most GPUs a server has in the shipped scenarios.
inline constexpr int max_devices_per_replica = 8;

/// The fewest devices, up to max_devices_per_replica, that hold the service's model when each
/// has `memory`; nullopt when even that many do not.
inline std::optional<int> fewest_devices(const ServiceSpec& spec, Bytes memory) {
  for (int k = 1; k <= max_devices_per_replica; ++k)
    if (memory_per_device(spec, k) <= memory) return k;
  return std::nullopt;
}

/// A server's devices as (slot, class): its GPUs in slot order, then its CPU.
inline std::vector<std::pair<DeviceSlot, DeviceClassId>> devices_of(const ServerSpec& server) {
  std::vector<std::pair<DeviceSlot, DeviceClassId>> out;
  for (std::size_t g = 0; g < server.gpus.size(); ++g)
    out.emplace_back(static_cast<DeviceSlot>(g), server.gpus[g]);
  if (server.cpu) out.emplace_back(cpu_slot, *server.cpu);
  return out;
}

/// Which devices are taken, for strategies that place instances themselves: every server's
/// GPUs and its CPU, each taken whole. A request names its device class, so a strategy that asks
/// for GPU classes only never gets a CPU.
class DeviceLedger {
 public:
  explicit DeviceLedger(const Scenario& s) {
    for (const ServerSpec& server : s.cluster.servers) {
      std::vector<Slot> slots;
      for (const auto& [slot, cls] : devices_of(server))
        slots.push_back({slot, cls, s.cluster.device_class(cls).memory, false});
      servers_.push_back(std::move(slots));
    }
  }

  /// k free devices of `cls` on `server` with `memory` free each; their slots, taken.
  std::optional<std::vector<DeviceSlot>> take_whole(ServerId server, int k, Bytes memory,
                                                    DeviceClassId cls) {
    std::vector<Slot*> chosen;
    for (Slot& slot : servers_[index_of(server)])
      if (static_cast<int>(chosen.size()) < k && slot.cls == cls && !slot.taken &&
          slot.free >= memory)
        chosen.push_back(&slot);
    if (static_cast<int>(chosen.size()) < k) return std::nullopt;
    std::vector<DeviceSlot> devices;
    for (Slot* slot : chosen) {
      slot->taken = true;
      slot->free -= memory;
      devices.push_back(slot->device);
    }
    return devices;
  }
  /// Exactly `devices` on `server` when every one is a free device of `cls` with `memory` free:
  /// taken, true; else nothing is taken.
  bool take_exact(ServerId server, const std::vector<DeviceSlot>& devices, Bytes memory,
                  DeviceClassId cls) {
    std::vector<Slot*> chosen;
    for (DeviceSlot d : devices) {
      Slot* slot = find(server, d);
      if (!slot || slot->cls != cls || slot->taken || slot->free < memory) return false;
      chosen.push_back(slot);
    }
    for (Slot* slot : chosen) {
      slot->taken = true;
      slot->free -= memory;
    }
    return true;
  }
  /// Marks a device as taken (failed): nothing is placed on it.
  void take_out(ServerId server, DeviceSlot device) {
    if (Slot* slot = find(server, device)) {
      slot->taken = true;
      slot->free = Bytes{};
    }
  }

 private:
  struct Slot {
    DeviceSlot device{};
    DeviceClassId cls{};
    Bytes free{};
    bool taken = false;
  };
  Slot* find(ServerId server, DeviceSlot device) {
    for (Slot& slot : servers_[index_of(server)])
      if (slot.device == device) return &slot;
    return nullptr;
  }
  std::vector<std::vector<Slot>> servers_;
};

/// Servers ordered by network latency from `origin` (origin first), ties by id.
inline std::vector<ServerId> by_distance(const Scenario& s, ServerId origin) {
  std::vector<ServerId> order;
  for (std::size_t v = 0; v < s.cluster.servers.size(); ++v) order.push_back(id_at<ServerId>(v));
  const auto latency = [&](ServerId v) {
    const auto p = s.cluster.network.path(origin, v);
    return p ? p->latency : Duration::max();
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](ServerId a, ServerId b) { return latency(a) < latency(b); });
  return order;
}

/// The serving instance on `at` with the earliest predicted finish, if any.
inline std::optional<std::uint32_t> best_local_instance(SimView& sim, ServiceId s, ServerId at,
                                                        Time now) {
  std::optional<std::uint32_t> best;
  Time best_finish = Time::max();
  for (std::uint32_t i : sim.serving_on(at, s)) {
    const Time f = sim.predicted_finish(at, i, now);
    if (!best || f < best_finish) {
      best = i;
      best_finish = f;
    }
  }
  return best;
}

/// Runs the request on `target`'s best instance when it is there, else sends it there.
inline Decision go_to(SimView& sim, const Request& r, ServerId at, ServerId target, Time now) {
  if (target == at) {
    if (const auto i = best_local_instance(sim, r.service, at, now))
      return RunLocal{*i, sim.predicted_finish(at, *i, now), false};
    return Reject{RejectReason::NoInstance};
  }
  return Offload{target, Time{}};
}

}  // namespace epara::sim::detail
