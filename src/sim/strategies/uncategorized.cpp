// Uncategorized serving, the plain deployment: every service gets the same dynamic batching
// (up to 8 items, 5 ms timeout), GPUs in proportion to its demand, replicas near its demand;
// each request goes to the nearest replica of its service — no load awareness, no offloading.

#include "sim/strategies/builtins.hpp"
#include "sim/strategies/proportional.hpp"

namespace epara::sim::detail {
namespace {

class Uncategorized final : public Strategy {
 public:
  std::string_view name() const override { return "uncategorized"; }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    return proportional_deployment(sim, FixedBatching{});
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    std::optional<ServerId> nearest;
    Duration best = Duration::max();
    for (std::uint32_t i : sim.serving(r.service)) {
      const ServerId v = sim.instance(i).server;
      const auto p = sim.network().path(at, v);
      if (p && (p->latency < best || (p->latency == best && v < *nearest))) {
        best = p->latency;
        nearest = v;
      }
    }
    if (!nearest) return Reject{RejectReason::NoInstance};
    return go_to(sim, r, at, *nearest, now);
  }
};

}  // namespace

std::unique_ptr<Strategy> make_uncategorized() { return std::make_unique<Uncategorized>(); }

}  // namespace epara::sim::detail
