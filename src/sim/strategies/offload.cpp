// Edge offloading without categorization: the plain deployment, but a server whose local
// replica has a full batch waiting sends the request to the least-loaded peer it knows of (by
// the ring-synchronized queue estimates), within the hop limit — load-aware, not SLO-aware.

#include "sim/strategies/builtins.hpp"
#include "sim/strategies/proportional.hpp"

namespace epara::sim::detail {
namespace {

class Offloading final : public Strategy {
 public:
  std::string_view name() const override { return "offload"; }
  bool synchronizes() const override { return true; }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    return proportional_deployment(sim, FixedBatching{});
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    const auto local = best_local_instance(sim, r.service, at, now);
    if (local) {
      if (static_cast<int>(sim.queued(at, *local)) < sim.instance(*local).max_batch)
        return RunLocal{*local, sim.predicted_finish(at, *local, now), false};
    }
    const PeerEstimate* least = nullptr;
    if (r.route.hops() < sim.config().handler.hop_limit) {
      for (const PeerEstimate& p : sim.view_of(at).peers_hosting(r.service)) {
        if (p.server == at || r.route.visited(p.server) || !sim.network().path(at, p.server))
          continue;
        if (!least || p.queue < least->queue ||
            (p.queue == least->queue && p.server < least->server))
          least = &p;
      }
    }
    const Duration local_queue =
        local ? sim.predicted_finish(at, *local, now) - now : Duration::max();
    if (least && least->queue + least->compute < local_queue) {
      sim.view_of(at).reserve(least->server, r.service, least->item_work, 0.0);
      return Offload{least->server, Time{}};
    }
    if (local) return RunLocal{*local, sim.predicted_finish(at, *local, now), false};
    if (sim.serving(r.service).empty()) return Reject{RejectReason::NoInstance};
    return Reject{r.route.hops() >= sim.config().handler.hop_limit ? RejectReason::HopLimit
                                                                   : RejectReason::Overloaded};
  }
};

}  // namespace

std::unique_ptr<Strategy> make_offload() { return std::make_unique<Offloading>(); }

}  // namespace epara::sim::detail
