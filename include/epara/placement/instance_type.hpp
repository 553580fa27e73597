#pragma once
// Instance types: one replica of a service on one device class, as the allocator plans it. The
// scheduler places copies of these on servers.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "epara/parallel/allocator.hpp"

namespace epara {

/// One replica of a service on `devices` devices of one class.
struct InstanceType {
  ServiceId service{};
  DeviceClassId device_class{};
  int devices = 1;        ///< k devices, all on one server
  double capacity = 0.0;  ///< items per second one replica carries at the utilization cap
  Bytes memory_per_device{};
  double share = 1.0;        ///< compute share of each device; 1 = the devices are its own
  Duration worst_latency{};  ///< the plan's worst case, before any network transfer
  Duration pass_latency{};   ///< one pass, which co-located instances may wait behind
  Duration load_time{};      ///< loading one replica onto its devices
  Plan plan{};               ///< the allocator's plan this replica comes from
};

/// What instance types could not be made for a service, and why.
struct TypeGap {
  ServiceId service{};
  std::string reason{};
};

/// Instance types and the services that got none.
struct InstanceTypes {
  std::vector<InstanceType> types{};
  std::vector<TypeGap> gaps{};
};

/// Loading a model whose service gives no load_time: its memory at this bandwidth plus a fixed
/// overhead (framework start, graph build, warm-up). Assumed, not measured here: 2 GB/s is a
/// conservative rate for a model read from a local SSD and copied to the device, 1 s a round
/// figure for the start. A scenario with measured load times (`load_time_s`) replaces both.
inline constexpr Bandwidth default_load_bandwidth{2e9};
inline constexpr Duration default_load_overhead = std::chrono::seconds(1);

/// Load time of a replica: the service's own when given, else model memory at `bandwidth`
/// plus a fixed `overhead` (process start, graph build).
inline Duration replica_load_time(const ServiceSpec& s,
                                  Bandwidth bandwidth = default_load_bandwidth,
                                  Duration overhead = default_load_overhead) {
  if (s.load_time > Duration::zero()) return s.load_time;
  return overhead + transfer_time(s.model_memory, bandwidth);
}

/// Inputs of make_instance_types besides the scenario and loads.
struct InstanceTypeOptions {
  /// Most of each deadline the plans leave for moving an item to another server, so that
  /// instances can serve demand from other origins: the longest transfer of the service's input
  /// between two servers, capped at this fraction (0: only local demand fits a tight plan).
  double network_reserve = 0.1;
  Bandwidth load_bandwidth = default_load_bandwidth;
  Duration load_overhead = default_load_overhead;
};

/// The part of `service`'s deadline its plans leave for the network: its input's longest
/// transfer between two connected servers, at most `fraction` of the deadline.
inline Duration network_reserve(const Cluster& cluster, const ServiceSpec& service,
                                double fraction) {
  const Duration cap = from_seconds(to_seconds(service.slo.deadline) * fraction);
  Duration longest{};
  const std::size_t n = cluster.servers.size();
  for (std::size_t a = 0; a < n && longest < cap; ++a)
    for (std::size_t b = 0; b < n; ++b)
      if (const auto path = cluster.network.path(id_at<ServerId>(a), id_at<ServerId>(b)))
        longest = std::max(longest, path->transfer_time(service.input_size));
  return std::min(longest, cap);
}

/// `profile` with every curve cut to its one-item pass: what a plan that never batches sees.
inline Profile one_item_profile(const Profile& profile) {
  Profile one = profile;
  for (Profile::Curve& c : one.curves) c.latency = LatencyCurve({{1, c.latency.latency(1)}}, 1);
  return one;
}

/// One type per (service with load, device class installed in the cluster) where the allocator
/// finds a replica configuration: the feasible plan, or — when the pool is too small for the
/// whole load — the closest plan's replica, since placement may serve part of a load, and for
/// streams also one stream's plan when its replica spans fewer devices. A multi-task plan that
/// batches gets its one-item plan as a second type (below). Plans are made for the deadline
/// less the network reserve.
template <class AllocatorType>
InstanceTypes make_instance_types(const AllocatorType& allocator, const Scenario& scenario,
                                  const std::vector<Load>& loads,
                                  const InstanceTypeOptions& options = {}) {
  InstanceTypes out;
  const auto pools = device_pools(scenario.cluster);
  for (std::size_t i = 0; i < scenario.services.size(); ++i) {
    const Load& load = loads[i];
    if (load.rate.per_second <= 0.0 && load.streams == 0) continue;
    const auto id = id_at<ServiceId>(i);
    ServiceSpec service = scenario.service(id);
    const Profile& profile = scenario.profile_of(service);
    const Category category = categorize(service, profile, scenario.cluster).category;
    service.slo.deadline -= network_reserve(scenario.cluster, service, options.network_reserve);
    std::string reasons;
    const std::size_t before = out.types.size();
    for (const GpuPool& pool : pools) {
      const Allocation a = allocator.allocate(
          {service, profile, category, scenario.cluster.device_classes, pool, load});
      const bool usable = a.feasible() || a.status == AllocationStatus::NotEnoughDevices;
      if (!usable) {
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ",
                               scenario.cluster.device_class(pool.device_class).name, a.reason);
        continue;
      }
      const auto add = [&](const Plan& p) {
        InstanceType t;
        t.service = id;
        t.device_class = pool.device_class;
        t.devices = p.gpus_per_replica;
        t.capacity = p.capacity.per_second / p.replicas;
        t.memory_per_device = p.memory_per_gpu;
        t.share = p.gpu_share;
        t.worst_latency = p.worst_latency;
        t.pass_latency = p.pass_latency;
        t.load_time = replica_load_time(service, options.load_bandwidth, options.load_overhead);
        t.plan = p;
        out.types.push_back(t);
      };
      add(a.plan);
      // A stream load too large for the pool gets the closest plan, whose replicas may span
      // more devices than one stream needs (model parallel for throughput). One stream's plan
      // is then a second type: a smaller foothold for a service the rest of the load outbids.
      if (load.streams > 1 && !a.feasible()) {
        const Allocation one = allocator.allocate(
            {service, profile, category, scenario.cluster.device_classes, pool, Load{Rate{}, 1}});
        if (one.feasible() && one.plan.gpus_per_replica < a.plan.gpus_per_replica) add(one.plan);
      }
      // Co-located instances wait behind each other's passes, so a multi-task plan whose
      // batched pass is longer than its neighbours' slack fits on no shared device: a heavy,
      // rare service beside light ones goes unserved though the devices have the compute for
      // it. Its one-item plan, the shortest pass it has, is a second type that can share;
      // placement takes whichever serves more.
      if (a.feasible() && a.plan.gpu_share < 1.0 && a.plan.max_batch > 1) {
        const Profile one_item = one_item_profile(profile);
        const Allocation one = allocator.allocate(
            {service, one_item, category, scenario.cluster.device_classes, pool, load});
        if (one.feasible() && one.plan.gpu_share < 1.0 &&
            one.plan.pass_latency < a.plan.pass_latency)
          add(one.plan);
      }
    }
    if (out.types.size() == before) out.gaps.push_back({id, reasons});
  }
  return out;
}

}  // namespace epara
