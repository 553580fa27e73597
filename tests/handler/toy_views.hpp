#pragma once
// Plain-data LocalView and ClusterView for handler tests.

#include <map>
#include <vector>

#include "epara/handler/views.hpp"
#include "epara/model/network.hpp"

namespace epara::testing {

/// The handler tests' service and servers.
inline constexpr ServiceId svc{0};
inline constexpr ServerId s0{0}, s1{1}, s2{2}, s3{3};

/// One server's instances: per service, its queue drain time and batch latency.
struct ToyLocal {
  struct Instance {
    Duration queue{};
    Duration compute{};
    double spare_rate = 1e9;
  };
  std::map<ServiceId, Instance> instances;

  std::optional<LocalOption> best_local(ServiceId s, Time now) const {
    const auto it = instances.find(s);
    if (it == instances.end()) return std::nullopt;
    return LocalOption{static_cast<std::uint32_t>(index_of(s)),
                       now + it->second.queue + it->second.compute, it->second.spare_rate};
  }
};
static_assert(LocalView<ToyLocal>);

/// A view listing peers per service, over a network.
struct ToyView {
  const Network* network = nullptr;
  std::map<ServiceId, std::vector<PeerEstimate>> peers;
  int reservations = 0;

  std::span<const PeerEstimate> peers_hosting(ServiceId s) const {
    const auto it = peers.find(s);
    if (it == peers.end()) return {};
    return it->second;
  }
  std::optional<Duration> transfer_time(ServerId from, ServerId to, Bytes size) const {
    const auto p = network->path(from, to);
    if (!p) return std::nullopt;
    return p->transfer_time(size);
  }
  void reserve(ServerId to, ServiceId s, Duration work, double rate) {
    ++reservations;
    for (PeerEstimate& p : peers[s])
      if (p.server == to) {
        p.queue += work;
        p.spare_rate -= rate;
        return;
      }
  }
};
static_assert(ClusterView<ToyView>);

/// A star: server 0 in the middle, 1 ms and 10 Gbit/s to each of servers 1, 2, 3.
inline Network star() {
  using namespace std::chrono_literals;
  std::vector<Link> links;
  for (std::uint32_t i = 1; i < 4; ++i)
    links.push_back({ServerId{0}, ServerId{i}, 1ms, Bandwidth::gbit_per_s(10)});
  return Network(4, links);
}

}  // namespace epara::testing
