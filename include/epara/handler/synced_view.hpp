#pragma once
// The default ClusterView: the peers' instances as the ring's digests describe them, with each
// queue estimate drained by the entry's age (a queue reported 40 ms ago has had 40 ms to drain),
// network transfer times from the cluster's paths, and the reservations this server's own
// offloads add between two rebuilds.

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "epara/handler/views.hpp"
#include "epara/model/network.hpp"
#include "epara/sync/ring_sync.hpp"

namespace epara {

/// Models ClusterView. Rebuild it from the ring sync whenever the view should change (e.g. on
/// every received digest, or every period); between rebuilds, reserve() keeps it honest about
/// the work this server has just sent out.
class SyncedView {
 public:
  /// `services`: how many services the scenario has; digests naming another are ignored (a
  /// peer's message is input, and this server could not route to a service it does not know).
  SyncedView(const Network& network, std::size_t services)
      : network_(&network), by_service_(services) {}

  void rebuild(const RingSync& sync, Time now) {
    for (auto& peers : by_service_) peers.clear();  // keep the capacity
    sync.for_each_entry(now, [&](const RingSync::Entry& e, Duration age) {
      for (const InstanceDigest& i : e.digest->instances) {
        const Duration left = std::max(Duration::zero(), i.queue - age);
        if (index_of(i.service) >= by_service_.size()) continue;
        by_service_[index_of(i.service)].push_back({e.digest->server, left, i.compute, i.item_work,
                                                    static_cast<double>(i.spare_rate), age});
      }
    });
  }

  std::span<const PeerEstimate> peers_hosting(ServiceId s) const {
    if (index_of(s) >= by_service_.size()) return {};
    return by_service_[index_of(s)];
  }

  std::optional<Duration> transfer_time(ServerId from, ServerId to, Bytes size) const {
    if (index_of(from) >= network_->size() || index_of(to) >= network_->size()) return std::nullopt;
    const auto path = network_->path(from, to);
    if (!path) return std::nullopt;
    return path->transfer_time(size);
  }

  /// Counts `work` into the queue of `to`'s instance of `s` (the first listed), and `rate` out
  /// of its spare capacity.
  void reserve(ServerId to, ServiceId s, Duration work, double rate) {
    if (index_of(s) >= by_service_.size()) return;
    for (PeerEstimate& p : by_service_[index_of(s)]) {
      if (p.server != to) continue;
      p.queue += work;
      p.spare_rate = std::max(0.0, p.spare_rate - rate);
      return;
    }
  }

 private:
  const Network* network_;
  std::vector<std::vector<PeerEstimate>> by_service_;  // by service index
};

}  // namespace epara
