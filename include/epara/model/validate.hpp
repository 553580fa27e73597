#pragma once
// One check of a whole Scenario before algorithms use it, for scenarios built in code as well as
// read from JSON. Messages name the entry with the same paths as the JSON format
// ("servers[2]: a microcomputer has no GPUs").

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/scenario.hpp"

namespace epara {

namespace detail {

template <class Table>
void expect_unique_names(const Table& table, std::string_view table_name, std::string_view what) {
  std::map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string& name = table[i].name;
    EPARA_EXPECTS(!name.empty(), fmt::format("{}[{}].name: must not be empty", table_name, i));
    const auto [it, inserted] = first.try_emplace(name, i);
    EPARA_EXPECTS(inserted, fmt::format("{}[{}].name: duplicate {} name '{}' (first declared at "
                                        "{}[{}].name)",
                                        table_name, i, what, name, table_name, it->second));
  }
}

inline void validate_server(const Cluster& c, std::size_t i) {
  const ServerSpec& s = c.servers[i];
  const auto where = fmt::format("servers[{}]", i);
  for (DeviceClassId g : s.gpus) {
    EPARA_EXPECTS(index_of(g) < c.device_classes.size(),
                  fmt::format("{}.gpus: device class id {} out of range", where, index_of(g)));
    EPARA_EXPECTS(c.device_classes[index_of(g)].kind == DeviceKind::Gpu,
                  fmt::format("{}.gpus: '{}' is a CPU class, not a GPU class", where,
                              c.device_classes[index_of(g)].name));
  }
  if (s.cpu) {
    EPARA_EXPECTS(index_of(*s.cpu) < c.device_classes.size(),
                  fmt::format("{}.cpu: device class id {} out of range", where, index_of(*s.cpu)));
    EPARA_EXPECTS(c.device_classes[index_of(*s.cpu)].kind == DeviceKind::Cpu,
                  fmt::format("{}.cpu: '{}' is a GPU class, not a CPU class", where,
                              c.device_classes[index_of(*s.cpu)].name));
  }
  switch (s.kind) {
    case ServerKind::EdgeServer:
      EPARA_EXPECTS(!s.gpus.empty() || s.cpu.has_value(),
                    where + ": an edge_server needs at least one GPU or a 'cpu' device class");
      break;
    case ServerKind::EmbeddedBoard:
      EPARA_EXPECTS(s.gpus.size() == 1, fmt::format("{}: an embedded_board has exactly one GPU "
                                                    "(got {})",
                                                    where, s.gpus.size()));
      break;
    case ServerKind::Microcomputer:
      EPARA_EXPECTS(s.gpus.empty(), where + ": a microcomputer has no GPUs");
      EPARA_EXPECTS(s.cpu.has_value(), where + ": a microcomputer needs a 'cpu' device class");
      break;
  }
}

inline void validate_profile(const Scenario& s, std::size_t i) {
  const Profile& p = s.profiles[i];
  EPARA_EXPECTS(!p.curves.empty(), fmt::format("profiles[{}].curves: needs at least one curve", i));
  std::set<std::pair<DeviceClassId, int>> seen;
  for (std::size_t j = 0; j < p.curves.size(); ++j) {
    const Profile::Curve& c = p.curves[j];
    const auto where = fmt::format("profiles[{}].curves[{}]", i, j);
    EPARA_EXPECTS(index_of(c.device_class) < s.cluster.device_classes.size(),
                  where + ".device_class: id out of range");
    EPARA_EXPECTS(c.gpus >= 1, fmt::format("{}.gpus: must be >= 1 (got {})", where, c.gpus));
    EPARA_EXPECTS(s.cluster.device_class(c.device_class).kind == DeviceKind::Gpu || c.gpus == 1,
                  where + ".gpus: must be 1 on a CPU class");
    EPARA_EXPECTS(seen.emplace(c.device_class, c.gpus).second,
                  where + ": a second curve for the same device_class and gpus");
    EPARA_EXPECTS(!c.latency.points().empty(),
                  where + ".points: needs at least one measured point");
  }
}

inline void validate_service(const Scenario& s, std::size_t i) {
  const ServiceSpec& v = s.services[i];
  const auto where = fmt::format("services[{}]", i);
  EPARA_EXPECTS(index_of(v.profile) < s.profiles.size(), where + ".profile: id out of range");
  EPARA_EXPECTS(v.model_memory > Bytes{}, where + ".model_memory: must be > 0");
  EPARA_EXPECTS(v.input_size >= Bytes{}, where + ".input_size: must be >= 0");
  EPARA_EXPECTS(v.activation_size >= Bytes{}, where + ".activation_size: must be >= 0");
  EPARA_EXPECTS(v.load_time >= Duration::zero(), where + ".load_time: must be >= 0");
  EPARA_EXPECTS(v.slo.deadline > Duration::zero(), where + ".slo.deadline: must be > 0");
  if (v.slo.is_latency()) return;
  EPARA_EXPECTS(std::isfinite(v.slo.rate.per_second) && v.slo.rate.per_second > 0.0,
                where + ".slo.rate: must be finite and > 0");
}

inline void validate_demand(const Scenario& s, std::size_t i) {
  const Demand& d = s.demand[i];
  const auto where = fmt::format("demand[{}]", i);
  EPARA_EXPECTS(index_of(d.service) < s.services.size(), where + ".service: id out of range");
  EPARA_EXPECTS(index_of(d.origin) < s.cluster.servers.size(), where + ".origin: id out of range");
  const ServiceSpec& v = s.services[index_of(d.service)];
  if (v.slo.is_latency()) {
    EPARA_EXPECTS(std::isfinite(d.rate.per_second) && d.rate.per_second > 0.0 && d.streams == 0,
                  fmt::format("{}: '{}' is latency-sensitive: give rate_per_s > 0, not streams",
                              where, v.name));
  } else {
    EPARA_EXPECTS(d.streams >= 1 && d.rate.per_second == 0.0,
                  fmt::format("{}: '{}' is frequency-sensitive: give streams >= 1, not a rate",
                              where, v.name));
  }
}

}  // namespace detail

/// Throws InvalidArgument naming the first inconsistent entry: an empty or repeated name, an id
/// out of range, a device of the wrong kind, a server kind with the wrong devices (an edge
/// server has >= 1 GPU, a board exactly 1, a microcomputer none and a CPU), a network whose size
/// differs from the server count or that leaves a server unreachable, a profile without curves
/// or with two curves for one (class, gpus), a CPU curve with gpus != 1, a non-positive memory,
/// deadline or rate, a demand naming unknown entries or giving a rate to a stream service (or
/// streams to a request service).
inline void validate(const Scenario& s) {
  const Cluster& c = s.cluster;
  detail::expect_unique_names(c.device_classes, "device_classes", "device class");
  for (std::size_t i = 0; i < c.device_classes.size(); ++i) {
    const DeviceClass& d = c.device_classes[i];
    EPARA_EXPECTS(d.memory > Bytes{}, fmt::format("device_classes[{}].memory: must be > 0", i));
    EPARA_EXPECTS(std::isfinite(d.relative_speed) && d.relative_speed > 0.0,
                  fmt::format("device_classes[{}].relative_speed: must be finite and > 0", i));
  }
  detail::expect_unique_names(c.servers, "servers", "server");
  for (std::size_t i = 0; i < c.servers.size(); ++i) detail::validate_server(c, i);
  EPARA_EXPECTS(c.network.size() == c.servers.size(),
                fmt::format("network: joins {} servers but the cluster has {}", c.network.size(),
                            c.servers.size()));
  for (std::size_t to = 1; to < c.servers.size(); ++to)
    EPARA_EXPECTS(c.network.path(ServerId{0}, id_at<ServerId>(to)).has_value(),
                  fmt::format("network.links: server '{}' cannot reach server '{}'",
                              c.servers[0].name, c.servers[to].name));
  detail::expect_unique_names(s.profiles, "profiles", "profile");
  for (std::size_t i = 0; i < s.profiles.size(); ++i) detail::validate_profile(s, i);
  detail::expect_unique_names(s.services, "services", "service");
  for (std::size_t i = 0; i < s.services.size(); ++i) detail::validate_service(s, i);
  for (std::size_t i = 0; i < s.demand.size(); ++i) detail::validate_demand(s, i);
}

}  // namespace epara
