#pragma once
// A generator of random valid scenarios for property tests (fixed seeds at the call site).

#include <random>

#include <fmt/format.h>

#include "epara/model/scenario.hpp"

namespace epara::testing {

inline Scenario random_scenario(std::mt19937_64& rng) {
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<>(lo, hi)(rng);
  };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scenario s;
  s.description = fmt::format("random scenario {}", pick(0, 1000));
  Cluster& c = s.cluster;
  const int gpu_classes = pick(1, 4);
  for (int i = 0; i < gpu_classes; ++i)
    c.device_classes.push_back(
        {fmt::format("gpu{}", i), DeviceKind::Gpu, Bytes::gib(uniform(4, 96)), uniform(0.05, 2.0)});
  c.device_classes.push_back({"cpu", DeviceKind::Cpu, Bytes::gib(uniform(1, 16)), 1.0});
  const auto cpu = id_at<DeviceClassId>(c.device_classes.size() - 1);
  const auto any_gpu = [&] {
    return id_at<DeviceClassId>(static_cast<std::size_t>(pick(0, gpu_classes - 1)));
  };

  const int servers = pick(1, 12);
  for (int i = 0; i < servers; ++i) {
    ServerSpec server{fmt::format("server{}", i), ServerKind::EdgeServer, {}, {}};
    switch (pick(0, 2)) {
      case 0:
        server.gpus.assign(static_cast<std::size_t>(pick(1, 8)), any_gpu());
        if (pick(0, 1) == 1) server.gpus.push_back(any_gpu());  // mixed classes are allowed
        break;
      case 1:
        server.kind = ServerKind::EmbeddedBoard;
        server.gpus = {any_gpu()};
        break;
      default:
        server.kind = ServerKind::Microcomputer;
        server.cpu = cpu;
    }
    c.servers.push_back(std::move(server));
  }
  std::vector<Link> links;  // a random spanning tree plus a few extra links: always connected
  for (int i = 1; i < servers; ++i)
    links.push_back({id_at<ServerId>(static_cast<std::size_t>(pick(0, i - 1))),
                     id_at<ServerId>(static_cast<std::size_t>(i)), from_ms(uniform(0, 20)),
                     Bandwidth::gbit_per_s(uniform(0.01, 100))});
  c.network = Network(static_cast<std::size_t>(servers), std::move(links));

  const int profiles = pick(1, 4);
  for (int i = 0; i < profiles; ++i) {
    Profile p{fmt::format("profile{}", i), "random", {}};
    for (int k : {1, 2, 4}) {
      if (k > 1 && pick(0, 1) == 0) continue;
      std::vector<ProfilePoint> points;
      Duration latency = from_ms(uniform(0.5, 100));
      for (int b = pick(1, 3); b <= 64; b *= pick(2, 4)) {
        points.push_back({b, latency});
        latency += from_ms(uniform(0, 50));
      }
      p.curves.push_back({any_gpu(), k, LatencyCurve(points, points.back().batch + pick(0, 8))});
    }
    if (pick(0, 1) == 1)
      p.curves.push_back({cpu, 1, LatencyCurve({{1, from_ms(uniform(5, 500))}})});
    s.profiles.push_back(std::move(p));
  }
  const int services = pick(1, 8);
  for (int i = 0; i < services; ++i) {
    const Slo slo = pick(0, 1) == 0
                        ? Slo::latency(from_ms(uniform(1, 10'000)))
                        : Slo::frequency(Rate{uniform(0.5, 120)}, from_ms(uniform(1, 1000)));
    s.services.push_back({fmt::format("service{}", i), slo, Bytes::gib(uniform(0.01, 200)),
                          id_at<ProfileId>(static_cast<std::size_t>(pick(0, profiles - 1))),
                          Bytes::kib(uniform(0, 5000)),
                          pick(0, 1) == 0 ? Bytes{} : Bytes::kib(uniform(1, 50'000)),
                          pick(0, 1) == 0 ? Duration{} : from_ms(uniform(100, 60'000))});
  }
  const int demands = pick(0, 10);
  for (int i = 0; i < demands; ++i) {
    Demand d{id_at<ServiceId>(static_cast<std::size_t>(pick(0, services - 1))),
             id_at<ServerId>(static_cast<std::size_t>(pick(0, servers - 1))), Rate{}, 0};
    if (s.service(d.service).slo.is_latency()) {
      d.rate = Rate{uniform(0.01, 500)};
    } else {
      d.streams = pick(1, 50);
    }
    s.demand.push_back(d);
  }
  return s;
}

}  // namespace epara::testing
