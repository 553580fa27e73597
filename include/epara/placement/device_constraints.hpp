#pragma once
// The default placement constraints: per-device memory, per-device compute share <= 1, every
// device of a multi-device instance on one server, co-located (multi-task) instances' deadlines,
// and CPU devices only for services with a CPU instance type.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <vector>

#include "epara/parallel/multi_task.hpp"
#include "epara/placement/ground_set.hpp"

namespace epara {

/// One device's state: what is left of its memory and compute share, and what its multi-task
/// tenants need (the sum of their passes, and the least slack any of them has left).
struct DeviceUsage {
  ServerId server{};
  DeviceSlot slot = 0;
  DeviceClassId device_class{};
  Bytes memory{};
  Bytes memory_used{};
  std::int64_t share_used = 0;  ///< parts per million of the device's compute
  Duration tenant_passes{};
  Duration tenant_slack = Duration::max();
  Duration tenant_busy{};  ///< the tenants' passes weighted by their utilization (busy_pass)
  Duration tenant_busy_slack = Duration::max();
  int instances = 0;
  bool available = true;  ///< false: failed or taken out; nothing is placed on it
};

inline constexpr std::int64_t share_ppm_whole = 1'000'000;

/// Tracks device usage as instances are committed. Models PlacementConstraints:
/// feasible(candidate), commit(candidate), cost(candidate).
class DeviceConstraints {
 public:
  /// Nothing is placed on the `unavailable` devices (nor kept there).
  explicit DeviceConstraints(const GroundSet& ground, std::span<const DeviceRef> unavailable = {})
      : ground_(&ground) {
    const Cluster& cluster = ground.scenario().cluster;
    for (std::size_t v = 0; v < cluster.servers.size(); ++v) {
      const ServerSpec& s = cluster.servers[v];
      first_.push_back(devices_.size());
      for (std::size_t g = 0; g < s.gpus.size(); ++g)
        add_device(id_at<ServerId>(v), static_cast<DeviceSlot>(g), s.gpus[g]);
      if (s.cpu) add_device(id_at<ServerId>(v), cpu_slot, *s.cpu);
    }
    kept_.assign(ground.loaded().size(), false);
    for (const DeviceRef& d : unavailable) {
      EPARA_EXPECTS(index_of(d.server) < cluster.servers.size() &&
                        (d.slot == cpu_slot ? cluster.server(d.server).cpu.has_value()
                                            : static_cast<std::size_t>(d.slot) <
                                                  cluster.server(d.server).gpus.size()),
                    fmt::format("placement: unavailable device {} of server {} does not exist",
                                d.slot == cpu_slot ? std::string("cpu") : std::to_string(d.slot),
                                index_of(d.server)));
      devices_[device_index(d.server, d.slot)].available = false;
    }
  }

  /// True when the candidate's instance fits now (and, for a kept instance, is not kept yet).
  bool feasible(std::size_t candidate) const {
    const Candidate& c = ground_->candidates()[candidate];
    if (c.keeps >= 0) {
      if (kept_[static_cast<std::size_t>(c.keeps)]) return false;
      for (DeviceSlot slot : ground_->loaded()[static_cast<std::size_t>(c.keeps)].devices)
        if (!fits(device_index(c.server, slot), ground_->type_of(candidate))) return false;
      return true;
    }
    return choose(candidate, nullptr);
  }

  /// Places the candidate's instance (feasible(candidate) must hold); returns its devices.
  std::vector<DeviceSlot> commit(std::size_t candidate) {
    const Candidate& c = ground_->candidates()[candidate];
    const InstanceType& t = ground_->type_of(candidate);
    std::vector<std::size_t> chosen;
    if (c.keeps >= 0) {
      kept_[static_cast<std::size_t>(c.keeps)] = true;
      for (DeviceSlot slot : ground_->loaded()[static_cast<std::size_t>(c.keeps)].devices)
        chosen.push_back(device_index(c.server, slot));
    } else {
      EPARA_EXPECTS(choose(candidate, &chosen), "DeviceConstraints::commit: does not fit");
    }
    std::vector<DeviceSlot> slots;
    for (std::size_t d : chosen) {
      use(d, t);
      slots.push_back(devices_[d].slot);
    }
    return slots;
  }

  /// Load time in seconds (0 to keep a loaded instance): what the load budget counts.
  double cost(std::size_t candidate) const { return ground_->cost(candidate); }

  const std::vector<DeviceUsage>& devices() const noexcept { return devices_; }

 private:
  static std::int64_t share_ppm(const InstanceType& t) {
    const auto ppm = static_cast<std::int64_t>(std::ceil(t.share * share_ppm_whole));
    return std::clamp<std::int64_t>(ppm, 1, share_ppm_whole);
  }

  void add_device(ServerId server, DeviceSlot slot, DeviceClassId cls) {
    devices_.push_back({server, slot, cls, ground_->scenario().cluster.device_class(cls).memory});
  }

  std::size_t device_index(ServerId server, DeviceSlot slot) const {
    const std::size_t first = first_[index_of(server)];
    if (slot != cpu_slot) return first + static_cast<std::size_t>(slot);
    return first + ground_->scenario().cluster.server(server).gpus.size();
  }

  Duration deadline(const InstanceType& t) const {
    return ground_->scenario().service(t.service).slo.deadline;
  }

  bool fits(std::size_t d, const InstanceType& t) const {
    const DeviceUsage& u = devices_[d];
    if (!u.available || u.device_class != t.device_class) return false;
    if (u.memory_used + t.memory_per_device > u.memory) return false;
    if (u.share_used + share_ppm(t) > share_ppm_whole) return false;
    if (share_ppm(t) == share_ppm_whole) return true;
    // Multi-task: the newcomer waits behind every tenant's pass, and every tenant behind its.
    const CoLocationTolerance tolerance = co_location_tolerance(t.plan, deadline(t));
    return u.tenant_passes <= tolerance.passes && u.tenant_busy <= tolerance.busy &&
           t.pass_latency <= u.tenant_slack && busy_pass(t.plan) <= u.tenant_busy_slack;
  }

  void use(std::size_t d, const InstanceType& t) {
    DeviceUsage& u = devices_[d];
    u.memory_used += t.memory_per_device;
    u.share_used += share_ppm(t);
    ++u.instances;
    if (share_ppm(t) == share_ppm_whole) return;
    const CoLocationTolerance tolerance = co_location_tolerance(t.plan, deadline(t));
    const Duration busy = busy_pass(t.plan);
    if (u.tenant_slack != Duration::max()) u.tenant_slack -= t.pass_latency;
    if (u.tenant_busy_slack != Duration::max()) u.tenant_busy_slack -= busy;
    u.tenant_slack = std::min(u.tenant_slack, tolerance.passes - u.tenant_passes);
    if (tolerance.busy != Duration::max())
      u.tenant_busy_slack = std::min(u.tenant_busy_slack, tolerance.busy - u.tenant_busy);
    u.tenant_passes += t.pass_latency;
    u.tenant_busy += busy;
  }

  // Devices for a new instance: k fitting devices of its class on its server, the lowest slots
  // first; a multi-task instance takes the fitting device with the least share left (best fit).
  bool choose(std::size_t candidate, std::vector<std::size_t>* out) const {
    const Candidate& c = ground_->candidates()[candidate];
    const InstanceType& t = ground_->type_of(candidate);
    const std::size_t first = first_[index_of(c.server)];
    const std::size_t end =
        index_of(c.server) + 1 < first_.size() ? first_[index_of(c.server) + 1] : devices_.size();
    if (share_ppm(t) < share_ppm_whole) {
      std::size_t best = end;
      for (std::size_t d = first; d < end; ++d)
        if (fits(d, t) && (best == end || devices_[d].share_used > devices_[best].share_used))
          best = d;
      if (best == end) return false;
      if (out) out->push_back(best);
      return true;
    }
    int found = 0;
    for (std::size_t d = first; d < end && found < t.devices; ++d) {
      if (!fits(d, t)) continue;
      ++found;
      if (out) out->push_back(d);
    }
    return found == t.devices;
  }

  const GroundSet* ground_;
  std::vector<DeviceUsage> devices_;
  std::vector<std::size_t> first_;  // per server: index of its first device
  std::vector<bool> kept_;
};

}  // namespace epara
