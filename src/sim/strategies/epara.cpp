// EPARA: categorized plans from the allocator, state-aware greedy placement re-run every
// placement period on the demand measured, the distributed request handler on every server
// over ring-synchronized views, and streams assigned to as many replicas as their plan splits.

#include <map>

#include "epara/placement/scheduler.hpp"
#include "sim/strategies/builtins.hpp"
#include "sim/strategies/support.hpp"

namespace epara::sim::detail {
namespace {

using StreamLoad = std::map<std::pair<ServerId, ServiceId>, double>;

// The simulator's instances on one server, as the request handler's LocalView. Their spare
// capacity for streams is what the streams assigned to this server have not taken yet.
struct LocalInstances {
  SimView* sim;
  ServerId at;
  const StreamLoad* streams;
  std::optional<LocalOption> best_local(ServiceId s, Time now) const {
    std::optional<LocalOption> best;
    double capacity = 0.0;
    for (std::uint32_t i : sim->serving_on(at, s)) {
      capacity += sim->instance(i).capacity;
      const Time finish = sim->predicted_finish(i, now);
      if (!best || finish < best->finish) best = LocalOption{i, finish, 0.0};
    }
    if (best) {
      const auto taken = streams->find({at, s});
      best->spare_rate =
          0.9 * capacity - (taken == streams->end() ? 0.0 : taken->second);
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
    const LocalInstances local{&sim, at, &stream_load_};
    // A stream item at the target its stream was assigned to runs there: the assignment
    // reserved this server's capacity for it, and chasing a faster peer item by item would
    // break the stream's batching (and cost a hop).
    if (r.stream && at != r.origin)
      if (const auto here = local.best_local(r.service, now))
        return RunLocal{here->instance, here->finish, here->finish > r.deadline};
    const RequestHandler handler(at, sim.config().handler);
    return handler.decide(r, now, local, sim.view_of(at));
  }

  std::optional<StreamAssignment> assign_stream(SimView& sim, ServiceId s, ServerId origin,
                                                Time now) override {
    const ServiceSpec& spec = sim.scenario().service(s);
    const auto found = split_.find(s);
    const int split = found == split_.end() ? 1 : found->second;
    auto a = epara::assign_stream(origin, s, spec.slo, split, spec.input_size, now,
                                  LocalInstances{&sim, origin, &stream_load_},
                                  sim.view_of(origin));
    if (a)
      for (ServerId t : a->targets) stream_load_[{t, s}] += spec.slo.rate.per_second / split;
    return a;
  }

 private:
  std::vector<InstanceSpec> place(SimView& sim, const std::vector<Demand>& demand,
                                  const std::vector<LoadedInstance>& loaded,
                                  const SchedulerOptions& options) {
    const Scenario& s = sim.scenario();
    const Placement p = schedule(s, demand, loaded, options);
    std::vector<InstanceSpec> out;
    std::map<ServiceId, std::map<int, int>> splits;  // per service: instances by plan split
    for (const PlacedInstance& i : p.instances) {
      const InstanceType& t = p.types[i.type];
      const auto timing = timing_for(s, t.service, t.device_class, t.devices,
                                     t.plan.pipelined ? TimingSource::Pipeline
                                                      : TimingSource::Profiled);
      if (!timing) continue;
      out.push_back({i.service, i.server, i.devices,
                     {t.plan.max_batch, t.plan.batch_timeout, *timing, t.share, t.load_time}});
      ++splits[t.service][t.plan.split];
    }
    for (const auto& [service, counts] : splits) {  // the split of the most placed type
      int best = 1, most = 0;
      for (const auto& [split, n] : counts)
        if (n > most) best = split, most = n;
      split_[service] = best;
    }
    return out;
  }

  std::map<ServiceId, int> split_;  // replicas a stream is spread over, per service
  StreamLoad stream_load_;          // stream items per second assigned to each server
};

}  // namespace

std::unique_ptr<Strategy> make_epara() { return std::make_unique<Epara>(); }

}  // namespace epara::sim::detail
