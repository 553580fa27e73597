// EPARA: categorized plans from the allocator, state-aware greedy placement re-run every
// placement period on the demand measured, the distributed request handler on every server
// over ring-synchronized views, and streams assigned to as many replicas as their plan splits.

#include <map>

#include "epara/placement/scheduler.hpp"
#include "sim/strategies/builtins.hpp"
#include "sim/strategies/support.hpp"

namespace epara::sim::detail {
namespace {

// The simulator's instances on one server, as the request handler's LocalView.
struct LocalInstances {
  SimView* sim;
  ServerId at;
  std::optional<LocalOption> best_local(ServiceId s, Time now) const {
    std::optional<LocalOption> best;
    for (std::uint32_t i : sim->serving_on(at, s)) {
      const Time finish = sim->predicted_finish(i, now);
      if (!best || finish < best->finish) {
        const InstanceState st = sim->instance(i);
        best = LocalOption{i, finish, st.capacity * 0.9};
      }
    }
    return best;
  }
};
static_assert(LocalView<LocalInstances>);

class Epara final : public Strategy {
 public:
  std::string_view name() const override { return "epara"; }
  bool synchronizes() const override { return true; }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    return place(sim, sim.declared_demand(), {}, SchedulerOptions{});
  }

  std::optional<std::vector<InstanceSpec>> replan(SimView& sim, Time now) override {
    SchedulerOptions options;
    options.load_penalty = 0.05;  // a load must pay for itself: keep what serves nearly as well
    return place(sim, sim.measured_demand(now), sim.loaded(), options);
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    const RequestHandler handler(at, sim.config().handler);
    return handler.decide(r, now, LocalInstances{&sim, at}, sim.view_of(at));
  }

  std::optional<StreamAssignment> assign_stream(SimView& sim, ServiceId s, ServerId origin,
                                                Time now) override {
    const ServiceSpec& spec = sim.scenario().service(s);
    const auto split = split_.find(s);
    return epara::assign_stream(origin, s, spec.slo, split == split_.end() ? 1 : split->second,
                                spec.input_size, now, LocalInstances{&sim, origin},
                                sim.view_of(origin));
  }

 private:
  std::vector<InstanceSpec> place(SimView& sim, const std::vector<Demand>& demand,
                                  const std::vector<LoadedInstance>& loaded,
                                  const SchedulerOptions& options) {
    const Scenario& s = sim.scenario();
    const Placement p = schedule(s, demand, loaded, options);
    std::vector<InstanceSpec> out;
    for (const PlacedInstance& i : p.instances) {
      const InstanceType& t = p.types[i.type];
      const auto timing = timing_for(s, t.service, t.device_class, t.devices,
                                     t.plan.pipelined ? TimingSource::Pipeline
                                                      : TimingSource::Profiled);
      if (!timing) continue;
      out.push_back({i.service, i.server, i.devices,
                     {t.plan.max_batch, t.plan.batch_timeout, *timing, t.share, t.load_time}});
      split_[t.service] = std::max(split_[t.service], t.plan.split);
    }
    return out;
  }

  std::map<ServiceId, int> split_;  // replicas a stream is spread over, per service
};

}  // namespace

std::unique_ptr<Strategy> make_epara() { return std::make_unique<Epara>(); }

}  // namespace epara::sim::detail
