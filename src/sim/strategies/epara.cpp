// EPARA: categorized plans from the allocator, state-aware greedy placement re-run every
// placement period on the demand measured, the distributed request handler on every server
// over ring-synchronized views, and streams assigned to as many replicas as their plan splits.

#include <algorithm>
#include <cmath>
#include <map>

#include "epara/placement/peak_demand.hpp"
#include "epara/placement/periodic_replacement.hpp"
#include "epara/placement/scheduler.hpp"
#include "sim/strategies/builtins.hpp"
#include "sim/strategies/support.hpp"

namespace epara::sim::detail {
namespace {

using StreamLoad = std::map<std::pair<ServerId, ServiceId>, double>;

// Streams may fill a server's instances of their service to this fraction of their capacity:
// the rest absorbs the jitter of requests and of the streams' own phases.
constexpr double stream_fill = 0.9;

// Items per second of `s`'s streams that `server` can still take: its instances' capacity up
// to stream_fill, less the streams it has taken (its own exact knowledge).
double stream_room(SimView& sim, const StreamLoad& streams, ServerId server, ServiceId s) {
  double capacity = 0.0;
  for (std::uint32_t i : sim.serving_on(server, s)) capacity += sim.instance(i).capacity;
  const auto taken = streams.find({server, s});
  return stream_fill * capacity - (taken == streams.end() ? 0.0 : taken->second);
}

// The simulator's instances on one server, as the request handler's LocalView. Their spare
// capacity for streams is their stream room.
struct LocalInstances {
  SimView* sim;
  ServerId at;
  const StreamLoad* streams;
  std::optional<LocalOption> best_local(ServiceId s, Time now) const {
    std::optional<LocalOption> best;
    for (std::uint32_t i : sim->serving_on(at, s)) {
      const Time finish = sim->predicted_finish(at, i, now);
      if (!best || finish < best->finish) best = LocalOption{i, finish, 0.0};
    }
    if (best) best->spare_rate = stream_room(*sim, *streams, at, s);
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
    planned_ = peak_.add(sim.measured_demand(now));  // capacity up at once, down slowly
    return replace(sim);
  }

  // A failure changes the capacity, not the demand: the last plan's demand placed again on
  // the devices left, but only onto devices nothing uses — moving working instances now would
  // cost their streams and queues more than the period's re-placement will gain.
  std::optional<std::vector<InstanceSpec>> on_failure(SimView& sim, Time) override {
    if (planned_.empty()) planned_ = sim.declared_demand();
    const std::vector<LoadedInstance> loaded = sim.loaded();
    const auto used = [&](ServerId server, DeviceSlot d) {
      return std::any_of(loaded.begin(), loaded.end(), [&](const LoadedInstance& li) {
        return li.server == server &&
               std::find(li.devices.begin(), li.devices.end(), d) != li.devices.end();
      });
    };
    std::vector<InstanceSpec> wanted;
    wanted.reserve(loaded.size());
    for (const LoadedInstance& li : loaded)
      wanted.push_back({li.service, li.server, li.devices, {}});
    for (InstanceSpec& w : replace(sim))
      if (std::none_of(w.devices.begin(), w.devices.end(),
                       [&](DeviceSlot d) { return used(w.server, d); }))
        wanted.push_back(std::move(w));
    return wanted;
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
                                                Time now,
                                                std::span<const ServerId> declined) override {
    const ServiceSpec& spec = sim.scenario().service(s);
    const auto found = split_.find(s);
    const int split = found == split_.end() ? 1 : found->second;
    auto a = epara::assign_stream(origin, s, spec.slo, split, spec.input_size, now,
                                  LocalInstances{&sim, origin, &stream_load_}, sim.view_of(origin),
                                  declined);
    if (a)  // the origin's own shares; a peer registers its share when it admits it
      for (ServerId t : a->targets)
        if (t == origin) stream_load_[{t, s}] += spec.slo.rate.per_second / split;
    return a;
  }

  // A peer takes a share only while the streams it has admitted leave room on its instances
  // (its own exact knowledge), so origins proposing at once from the same stale view cannot
  // overload it: the handshake's answer.
  bool admit_stream(SimView& sim, ServiceId s, ServerId target, double rate, Time) override {
    if (stream_room(sim, stream_load_, target, s) < rate * (1.0 - 1e-9)) return false;
    stream_load_[{target, s}] += rate;
    return true;
  }

  void release_stream(SimView& sim, const StreamAssignment& a) override {
    const double share = sim.scenario().service(a.service).slo.rate.per_second / a.wanted;
    for (ServerId t : a.targets) {
      double& load = stream_load_[{t, a.service}];
      load = std::max(0.0, load - share);
    }
  }

 private:
  // The placement for planned_ from what is loaded now, on the devices that are up.
  std::vector<InstanceSpec> replace(SimView& sim) {
    SchedulerOptions options;
    options.unavailable = sim.devices_down();  // failed servers and devices take nothing new
    options.load_penalty = replacement_load_penalty;
    const std::vector<LoadedInstance> loaded = sim.loaded();
    std::vector<InstanceSpec> wanted = place(sim, planned_, loaded, options);
    for (const LoadedInstance& li : kept_idle<InstanceSpec>(loaded, wanted))
      wanted.push_back({li.service, li.server, li.devices, {}});
    return wanted;
  }

  std::vector<InstanceSpec> place(SimView& sim, const std::vector<Demand>& demand,
                                  const std::vector<LoadedInstance>& loaded,
                                  SchedulerOptions options) {
    const Scenario& s = sim.scenario();
    options.weighting = sim.config().weighting;
    options.serve_every_service = sim.config().serve_every_service;
    options.spare_replicas = sim.config().spare_replicas;
    options.headroom = planned_headroom;
    options.attainment_floor = sim.config().attainment_floor;
    options.choose_attainment_floor = sim.config().choose_attainment_floor;
    const Placement p = schedule(s, demand, loaded, options);
    std::vector<InstanceSpec> out;
    std::map<ServiceId, std::map<int, int>> splits;          // per service: instances by plan split
    std::map<std::pair<ServerId, DeviceSlot>, int> tenants;  // instances placed on each device
    for (const DeviceUsage& d : p.devices) tenants[{d.server, d.slot}] = d.instances;
    for (const PlacedInstance& i : p.instances) {
      const InstanceType& t = p.types[i.type];
      const auto timing =
          timing_for(s, t.service, t.device_class, t.devices,
                     t.plan.pipelined ? TimingSource::Pipeline : TimingSource::Profiled);
      if (!timing) continue;
      const bool alone = std::all_of(i.devices.begin(), i.devices.end(), [&](DeviceSlot d) {
        return tenants[{i.server, d}] == 1;
      });
      const Duration timeout = gather_timeout(t.plan.batch_timeout, alone);
      // Multi-frame without batching across streams: passes of one stream's frames, as
      // exec::MultiFrameExecutor runs them.
      const bool same_stream =
          t.plan.modes.contains(Mode::MultiFrame) && !t.plan.modes.contains(Mode::Batching);
      out.push_back({i.service,
                     i.server,
                     i.devices,
                     {t.plan.max_batch, timeout, *timing, t.share, t.load_time, same_stream}});
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
  PeakDemand peak_;                 // the peak of the last periods' measured demand
  std::vector<Demand> planned_;     // the demand the last placement was made for
};

}  // namespace

std::unique_ptr<Strategy> make_epara() { return std::make_unique<Epara>(); }

}  // namespace epara::sim::detail
