#pragma once
// The ground set of a placement: every instance the scheduler may load (a type on a server), or
// keep (an instance already loaded), with the demand they can serve within the SLO.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/placement/instance_type.hpp"

namespace epara {

/// A device of a server: an index into ServerSpec::gpus, or cpu_slot for its CPU.
using DeviceSlot = int;
inline constexpr DeviceSlot cpu_slot = -1;

/// One device of a server: a GPU by index, or its CPU (cpu_slot).
struct DeviceRef {
  ServerId server{};
  DeviceSlot slot = 0;
  friend bool operator==(const DeviceRef&, const DeviceRef&) = default;
};

/// An instance loaded on a server before this placement (what state-aware placement keeps).
struct LoadedInstance {
  ServiceId service{};
  ServerId server{};
  std::vector<DeviceSlot> devices{};
  friend bool operator==(const LoadedInstance&, const LoadedInstance&) = default;
};

/// Objective values are in micro-items per second, integers held in doubles, so gains add up
/// exactly and lazy and plain greedy compare identical numbers.
inline constexpr double units_per_item = 1e6;
inline std::int64_t to_units(double items_per_second) {
  return static_cast<std::int64_t>(std::floor(items_per_second * units_per_item));
}

/// One element of the ground set: an instance of `type` on `server`. `keeps` >= 0 marks the
/// already-loaded instance of that index (its devices are fixed, and keeping it costs nothing).
struct Candidate {
  std::uint32_t type = 0;
  ServerId server{};
  std::int32_t keeps = -1;
  std::uint32_t group = 0;  ///< (type, server): instances of a group serve the same demand
};

/// Demand of one service at one origin, in units.
struct DemandNode {
  ServiceId service{};
  ServerId origin{};
  std::int64_t demand = 0;
};

/// The immutable model the objectives and constraints share. References the scenario, which
/// must outlive it.
class GroundSet {
 public:
  /// Candidates: first one per loaded instance that matches a type (same service, device class
  /// and device count), then one per (type, server with enough devices of the type's class).
  /// `weights`: what one unit of each service's served demand is worth to the objectives
  /// (index = service id; empty: 1 for every service). `demand_scale` multiplies every demand
  /// node's items (a share of the demand, for a tier of the objective).
  GroundSet(const Scenario& scenario, InstanceTypes types, const std::vector<Demand>& demand,
            const std::vector<LoadedInstance>& loaded, std::vector<std::int64_t> weights = {},
            double demand_scale = 1.0)
      : scenario_(&scenario),
        types_(std::move(types)),
        loaded_(loaded),
        weights_(std::move(weights)) {
    if (weights_.empty()) weights_.assign(scenario.services.size(), 1);
    EPARA_EXPECTS(weights_.size() == scenario.services.size(), "GroundSet: one weight per service");
    for (std::int64_t w : weights_) EPARA_EXPECTS(w >= 1, "GroundSet: weights must be >= 1");
    EPARA_EXPECTS(std::isfinite(demand_scale) && demand_scale > 0.0,
                  "GroundSet: the demand scale must be finite and > 0");
    const Cluster& cluster = scenario.cluster;
    group_of_.assign(types_.types.size() * cluster.servers.size(), -1);
    for (std::size_t i = 0; i < loaded_.size(); ++i) {
      if (const auto t = matching_type(loaded_[i]))
        add_candidate(*t, loaded_[i].server, static_cast<std::int32_t>(i));
    }
    // New loads: greedy breaks ties by candidate index, so order matters among equal gains —
    // multi-device replicas first (they are the hardest to fit once servers fill up), then the
    // instances using less (CPUs, then slower GPUs and smaller shares).
    std::vector<std::uint32_t> by_cost(types_.types.size());
    for (std::uint32_t t = 0; t < by_cost.size(); ++t) by_cost[t] = t;
    std::stable_sort(by_cost.begin(), by_cost.end(), [&](std::uint32_t a, std::uint32_t b) {
      const InstanceType &x = types_.types[a], &y = types_.types[b];
      if (x.devices != y.devices) return x.devices > y.devices;
      return gpu_equivalents(x) < gpu_equivalents(y);
    });
    for (std::uint32_t t : by_cost)
      for (std::size_t v = 0; v < cluster.servers.size(); ++v)
        if (slots_of(types_.types[t].device_class, id_at<ServerId>(v)) >= types_.types[t].devices)
          add_candidate(t, id_at<ServerId>(v), -1);
    nodes_by_service_.resize(scenario.services.size());
    // Entries of one (service, origin) make one node: alike but for their amount, so a demand
    // listed entry by entry (a client each) costs placement no more than its sum.
    std::map<std::pair<ServiceId, ServerId>, std::size_t> node_of;
    for (const Demand& d : demand) {
      const std::int64_t units =
          to_units(d.items(scenario.service(d.service).slo).per_second * demand_scale);
      if (units <= 0) continue;
      const auto [at, fresh] = node_of.try_emplace({d.service, d.origin}, nodes_.size());
      if (!fresh) {
        nodes_[at->second].demand += units;
        continue;
      }
      auto& of_service = nodes_by_service_[index_of(d.service)];
      position_.push_back(of_service.size());
      of_service.push_back(nodes_.size());
      nodes_.push_back({d.service, d.origin, units});
    }
  }

  const Scenario& scenario() const noexcept { return *scenario_; }
  const std::vector<InstanceType>& types() const noexcept { return types_.types; }
  const std::vector<TypeGap>& gaps() const noexcept { return types_.gaps; }
  const InstanceTypes& instance_types() const noexcept { return types_; }
  const std::vector<LoadedInstance>& loaded() const noexcept { return loaded_; }
  const std::vector<Candidate>& candidates() const noexcept { return candidates_; }
  std::size_t size() const noexcept { return candidates_.size(); }
  std::size_t group_count() const noexcept { return group_type_.size(); }
  const std::vector<DemandNode>& demand() const noexcept { return nodes_; }
  /// What one unit of the service's served demand is worth.
  std::int64_t weight(ServiceId s) const { return weights_[index_of(s)]; }
  const std::vector<std::int64_t>& weights() const noexcept { return weights_; }
  /// Demand nodes (indices into demand()) of a service.
  const std::vector<std::size_t>& demand_of(ServiceId s) const {
    return nodes_by_service_[index_of(s)];
  }
  /// Where demand node `node` stands in demand_of(its service).
  std::size_t position_in_service(std::size_t node) const { return position_[node]; }

  const InstanceType& type_of(std::size_t candidate) const {
    return types_.types[candidates_[candidate].type];
  }
  const InstanceType& group_type(std::uint32_t group) const {
    return types_.types[group_type_[group]];
  }
  ServerId group_server(std::uint32_t group) const { return group_server_[group]; }
  /// Capacity one instance of the candidate adds, in units.
  std::int64_t capacity(std::size_t candidate) const {
    return to_units(type_of(candidate).capacity);
  }
  /// Load time in seconds; 0 for keeping a loaded instance.
  double cost(std::size_t candidate) const {
    return candidates_[candidate].keeps >= 0 ? 0.0 : to_seconds(type_of(candidate).load_time);
  }

  /// True when an item of demand node `node` can travel to the group's server and be served
  /// there within its deadline: network transfer of its input + the plan's worst latency.
  bool reaches(std::size_t node, std::uint32_t group) const {
    const DemandNode& d = nodes_[node];
    const InstanceType& t = group_type(group);
    if (t.service != d.service) return false;
    const auto path = scenario_->cluster.network.path(d.origin, group_server_[group]);
    if (!path) return false;
    const ServiceSpec& s = scenario_->service(d.service);
    return t.worst_latency + path->transfer_time(s.input_size) <= s.slo.deadline;
  }

  /// What one instance of `t` occupies: devices × share × relative speed; CPUs count zero.
  double gpu_equivalents(const InstanceType& t) const {
    const DeviceClass& cls = scenario_->cluster.device_class(t.device_class);
    return cls.kind == DeviceKind::Gpu ? t.devices * t.share * cls.relative_speed : 0.0;
  }

  /// Number of devices of `cls` on `server` (its GPUs of that class, or its CPU).
  int slots_of(DeviceClassId cls, ServerId server) const {
    const ServerSpec& s = scenario_->cluster.server(server);
    int n = s.cpu == cls ? 1 : 0;
    for (DeviceClassId g : s.gpus) n += g == cls ? 1 : 0;
    return n;
  }

 private:
  std::optional<std::uint32_t> matching_type(const LoadedInstance& li) const {
    if (li.devices.empty()) return std::nullopt;
    const ServerSpec& server = scenario_->cluster.server(li.server);
    const auto class_of = [&](DeviceSlot slot) -> std::optional<DeviceClassId> {
      if (slot == cpu_slot) return server.cpu;
      if (slot < 0 || static_cast<std::size_t>(slot) >= server.gpus.size()) return std::nullopt;
      return server.gpus[static_cast<std::size_t>(slot)];
    };
    const auto cls = class_of(li.devices.front());
    if (!cls) return std::nullopt;
    for (DeviceSlot slot : li.devices)
      if (class_of(slot) != cls) return std::nullopt;
    for (std::size_t t = 0; t < types_.types.size(); ++t) {
      const InstanceType& type = types_.types[t];
      if (type.service == li.service && type.device_class == *cls &&
          type.devices == static_cast<int>(li.devices.size()))
        return static_cast<std::uint32_t>(t);
    }
    return std::nullopt;
  }

  void add_candidate(std::uint32_t type, ServerId server, std::int32_t keeps) {
    int& g = group_of_[type * scenario_->cluster.servers.size() + index_of(server)];
    if (g < 0) {
      g = static_cast<int>(group_type_.size());
      group_type_.push_back(type);
      group_server_.push_back(server);
    }
    candidates_.push_back({type, server, keeps, static_cast<std::uint32_t>(g)});
  }

  const Scenario* scenario_;
  InstanceTypes types_;
  std::vector<LoadedInstance> loaded_;
  std::vector<Candidate> candidates_;
  std::vector<int> group_of_;  // type × server -> group, or -1
  std::vector<std::uint32_t> group_type_;
  std::vector<ServerId> group_server_;
  std::vector<DemandNode> nodes_;
  std::vector<std::vector<std::size_t>> nodes_by_service_;
  std::vector<std::size_t> position_;  // per demand node: its index in nodes_by_service_
  std::vector<std::int64_t> weights_;  // per service
};

}  // namespace epara
