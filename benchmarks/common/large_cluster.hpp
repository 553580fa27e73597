#pragma once
// A large synthetic edge cloud for scale benchmarks: regions of 20 servers (each server linked to
// its region's hub, hubs on a ring with chords), 4 GPUs per server (3 of 4 servers A100-class,
// the rest L4-class), and services with random profiles, SLOs and demand at 10 origins each.

#include <random>

#include <fmt/format.h>

#include "epara/model/scenario.hpp"

namespace epara::bench {

inline Scenario large_cluster(int servers, int services, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<>(lo, hi)(rng);
  };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scenario s;
  Cluster& c = s.cluster;
  c.device_classes = {{"a100", DeviceKind::Gpu, Bytes::gib(40), 1.0},
                      {"l4", DeviceKind::Gpu, Bytes::gib(24), 0.4}};
  for (int i = 0; i < servers; ++i)
    c.servers.push_back({fmt::format("s{}", i),
                         ServerKind::EdgeServer,
                         std::vector<DeviceClassId>(4, DeviceClassId{i % 4 == 3 ? 1u : 0u}),
                         {}});
  constexpr int region = 20;
  std::vector<Link> links;
  const auto link = [&](int a, int b, double ms, double gbps) {
    links.push_back({id_at<ServerId>(static_cast<std::size_t>(a)),
                     id_at<ServerId>(static_cast<std::size_t>(b)), from_ms(ms),
                     Bandwidth::gbit_per_s(gbps)});
  };
  for (int i = 0; i < servers; ++i)
    if (i % region != 0) link(i, i - i % region, 0.2, 10);
  const int hubs = (servers + region - 1) / region;
  for (int h = 1; h < hubs; ++h) link((h - 1) * region, h * region, 2, 40);
  for (int h = 5; h < hubs; h += 5) link(h * region, (h - 5) * region, 3, 40);
  c.network = Network(static_cast<std::size_t>(servers), std::move(links));

  for (int i = 0; i < services; ++i) {
    const double alpha = uniform(2, 40), beta = uniform(0.3, 6);
    s.profiles.push_back(
        {fmt::format("p{}", i),
         "synthetic",
         {{DeviceClassId{0}, 1,
           LatencyCurve({{1, from_ms(alpha + beta)}, {32, from_ms(alpha + 32 * beta)}})}}});
    const bool latency = pick(0, 2) != 0;
    const Slo slo = latency ? Slo::latency(from_ms(uniform(100, 1000)))
                            : Slo::frequency(Rate{uniform(10, 30)}, from_ms(uniform(150, 500)));
    s.services.push_back({fmt::format("svc{}", i),
                          slo,
                          Bytes::gib(uniform(0.5, 20)),
                          id_at<ProfileId>(static_cast<std::size_t>(i)),
                          Bytes::kib(uniform(10, 300)),
                          {},
                          from_seconds(uniform(2, 30))});
    for (int o = 0; o < 10; ++o) {
      Demand d{id_at<ServiceId>(static_cast<std::size_t>(i)),
               id_at<ServerId>(static_cast<std::size_t>(pick(0, servers - 1))), Rate{}, 0};
      // Demand scales with the cluster so that it roughly fills it.
      if (latency) {
        d.rate = Rate{uniform(3, 12) * servers / 10.0};
      } else {
        d.streams = std::max(1, static_cast<int>(uniform(0.15, 0.6) * servers / 10.0));
      }
      s.demand.push_back(d);
    }
  }
  return s;
}

}  // namespace epara::bench
