#pragma once
// Random placement instances for property tests and benchmarks: a small random cluster (GPU
// servers, boards, microcomputers on a random tree network), random services and demand, and
// the ground set the scheduler would build for them. Deterministic for a generator state.

#include <memory>
#include <random>

#include <fmt/format.h>

#include "epara/placement/ground_set.hpp"

namespace epara::testing {

struct PlacementShape {
  int max_servers = 5;
  int max_gpus_per_server = 4;
  int max_services = 5;
  bool one_device_per_class = false;  ///< every server has at most one device of each class
  bool multi_task = true;             ///< instance types may take a share of a device
  int demand_scale = 1;               ///< every demand's rate and streams times this
};

/// A scenario and its ground set (which refers to the scenario: keep them together).
struct PlacementWorld {
  Scenario scenario;
  std::unique_ptr<GroundSet> ground;
};

inline std::unique_ptr<PlacementWorld> random_placement(std::mt19937_64& rng,
                                                        const PlacementShape& shape = {}) {
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<>(lo, hi)(rng);
  };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto world = std::make_unique<PlacementWorld>();
  Scenario& s = world->scenario;
  Cluster& c = s.cluster;
  c.device_classes = {{"big", DeviceKind::Gpu, Bytes::gib(40), 1.0},
                      {"small", DeviceKind::Gpu, Bytes::gib(16), 0.3},
                      {"pi", DeviceKind::Cpu, Bytes::gib(8), 1.0}};
  const DeviceClassId big{0}, small{1}, pi{2};
  const int servers = pick(1, shape.max_servers);
  for (int i = 0; i < servers; ++i) {
    ServerSpec server{fmt::format("s{}", i), ServerKind::EdgeServer, {}, {}};
    switch (pick(0, 3)) {
      case 0:
      case 1: {
        const int gpus = shape.one_device_per_class ? 1 : pick(1, shape.max_gpus_per_server);
        server.gpus.assign(static_cast<std::size_t>(gpus), pick(0, 2) == 0 ? small : big);
        break;
      }
      case 2:
        server.kind = ServerKind::EmbeddedBoard;
        server.gpus = {small};
        break;
      default:
        server.kind = ServerKind::Microcomputer;
        server.cpu = pi;
    }
    c.servers.push_back(std::move(server));
  }
  if (c.gpu_count() == 0) c.servers[0] = {"s0", ServerKind::EmbeddedBoard, {big}, {}};
  std::vector<Link> links;
  for (int i = 1; i < servers; ++i)
    links.push_back({id_at<ServerId>(static_cast<std::size_t>(pick(0, i - 1))),
                     id_at<ServerId>(static_cast<std::size_t>(i)), from_ms(uniform(0.1, 8)),
                     Bandwidth::gbit_per_s(uniform(0.1, 10))});
  c.network = Network(static_cast<std::size_t>(servers), std::move(links));

  const int services = pick(1, shape.max_services);
  for (int i = 0; i < services; ++i) {
    const double alpha = uniform(1, 60), beta = uniform(0.2, 8);
    Profile p{fmt::format("p{}", i), "random", {}};
    p.curves.push_back(
        {big, 1, LatencyCurve({{1, from_ms(alpha + beta)}, {16, from_ms(alpha + 16 * beta)}})});
    if (pick(0, 2) == 0)
      p.curves.push_back({big, 2,
                          LatencyCurve({{1, from_ms((alpha + beta) / 1.7)},
                                        {16, from_ms((alpha + 16 * beta) / 1.7)}})});
    if (pick(0, 2) == 0) p.curves.push_back({pi, 1, LatencyCurve({{1, from_ms(alpha * 8)}})});
    s.profiles.push_back(std::move(p));
    const bool latency = pick(0, 1) == 0;
    const Slo slo = latency ? Slo::latency(from_ms(uniform(40, 2000)))
                            : Slo::frequency(Rate{uniform(5, 60)}, from_ms(uniform(60, 1000)));
    s.services.push_back({fmt::format("svc{}", i),
                          slo,
                          Bytes::gib(uniform(0.5, 30)),
                          id_at<ProfileId>(static_cast<std::size_t>(i)),
                          Bytes::kib(uniform(1, 500)),
                          {},
                          from_seconds(uniform(1, 30))});
    const int origins = pick(1, 3);
    for (int o = 0; o < origins; ++o) {
      Demand d{id_at<ServiceId>(static_cast<std::size_t>(i)),
               id_at<ServerId>(static_cast<std::size_t>(pick(0, servers - 1))), Rate{}, 0};
      if (latency) {
        d.rate = Rate{uniform(1, 80) * shape.demand_scale};
      } else {
        d.streams = pick(1, 4) * shape.demand_scale;
      }
      s.demand.push_back(d);
    }
  }
  CostModel model;
  if (!shape.multi_task) model.max_share = 0.0;  // no plan may share a device
  const Allocator<> allocator(model);
  const auto loads = total_load(s.demand, s.services.size());
  world->ground = std::make_unique<GroundSet>(s, make_instance_types(allocator, s, loads), s.demand,
                                              std::vector<LoadedInstance>{});
  return world;
}

}  // namespace epara::testing
