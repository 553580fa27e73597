// A simulation strategy of your own, compared with the built-in strategies on the same
// arrivals: "dedicated" gives every service whole devices for the allocator's plan of its declared
// load (no sharing, no re-placement) and sends a request that finds no instance where it
// arrives to the peer its ring-synced view shows least queued. Usage:
//
//   custom_strategy <scenario.json> [seconds]
//
// A strategy implements epara::sim::Strategy: deploy() chooses the instances, route() decides
// per request. It sees what a real server could: the scenario, its own instances (SimView) and
// its synced view of the others (view_of) — no other server's exact state.
#include <cstdio>
#include <set>

#include <fmt/format.h>
#include <epara/io/scenario_json.hpp>
#include <epara/parallel/allocator.hpp>
#include <epara/sim/simulation_json.hpp>
#include <epara/sim/simulator.hpp>
#include <epara/sim/trace.hpp>

using namespace epara;

class Dedicated final : public sim::Strategy {
 public:
  std::string_view name() const override { return "dedicated"; }
  bool synchronizes() const override { return true; }  // route() reads the synced view

  std::vector<sim::InstanceSpec> deploy(sim::SimView& sim) override {
    const Scenario& s = sim.scenario();
    const auto loads = total_load(sim.declared_demand(), s.services.size());
    std::set<std::pair<std::size_t, DeviceSlot>> taken;  // (server, GPU slot or cpu_slot)
    std::vector<sim::InstanceSpec> out;
    for (std::size_t i = 0; i < s.services.size(); ++i) {
      if (loads[i].rate.per_second <= 0.0 && loads[i].streams == 0) continue;
      const auto id = id_at<ServiceId>(i);
      const Plan plan = allocate_service(Allocator<>{}, s, id, loads[i]).allocation.plan;
      const auto source = plan.pipelined ? TimingSource::Pipeline : TimingSource::Profiled;
      const auto timing = replica_timing(s, id, plan.device_class, plan.gpus_per_replica, source);
      if (!timing) continue;  // no profile for the plan's devices: the service goes unserved
      const sim::ReplicaConfig config{plan.max_batch, plan.batch_timeout, *timing};
      // The plan's replicas on free devices of its class (GPUs, or the CPU where the plan's
      // class is a CPU's), server by server, while there are some.
      int placed = 0;
      for (std::size_t v = 0; v < s.cluster.servers.size() && placed < plan.replicas; ++v) {
        const ServerSpec& server = s.cluster.servers[v];
        std::vector<DeviceSlot> free;
        for (std::size_t g = 0; g < server.gpus.size(); ++g)
          if (server.gpus[g] == plan.device_class && !taken.count({v, static_cast<DeviceSlot>(g)}))
            free.push_back(static_cast<DeviceSlot>(g));
        if (server.cpu == plan.device_class && !taken.count({v, cpu_slot}))
          free.push_back(cpu_slot);
        for (std::size_t f = 0; f + plan.gpus_per_replica <= free.size() && placed < plan.replicas;
             f += plan.gpus_per_replica, ++placed) {
          std::vector<DeviceSlot> devices(
              free.begin() + static_cast<std::ptrdiff_t>(f),
              free.begin() + static_cast<std::ptrdiff_t>(f + plan.gpus_per_replica));
          for (DeviceSlot d : devices) taken.insert({v, d});
          out.push_back({id, id_at<ServerId>(v), std::move(devices), config});
        }
      }
    }
    return out;
  }

  Decision route(sim::SimView& sim, Request& r, ServerId at, Time now) override {
    // Here: the local instance that finishes first (this server's own state).
    std::optional<std::uint32_t> best;
    for (std::uint32_t i : sim.serving_on(at, r.service))
      if (!best || sim.predicted_finish(at, i, now) < sim.predicted_finish(at, *best, now))
        best = i;
    if (best) {
      const Time finish = sim.predicted_finish(at, *best, now);
      return RunLocal{*best, finish, finish > r.deadline};
    }
    // Elsewhere: the least queued peer as the synced view has it, not yet on the route.
    SyncedView& view = sim.view_of(at);
    const PeerEstimate* least = nullptr;
    for (const PeerEstimate& p : view.peers_hosting(r.service))
      if (p.server != at && !r.route.visited(p.server) && (!least || p.queue < least->queue))
        least = &p;
    if (least == nullptr || r.route.hops() >= sim.config().handler.hop_limit)
      return Reject{least == nullptr ? RejectReason::NoInstance : RejectReason::HopLimit};
    view.reserve(least->server, r.service, least->item_work, 0.0);
    return Offload{least->server, Time{}};
  }
};

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s <scenario.json> [seconds]\n", argv[0]);
    return 2;
  }
  try {
    const std::string text = io::read_text_file(argv[1]);
    const Scenario scenario = io::parse_scenario(text, argv[1]);
    sim::SimulationConfig config = sim::parse_simulation_config(
        text, argv[1], scenario, std::filesystem::path(argv[1]).parent_path());
    if (argc == 3) config.duration = from_seconds(std::stod(argv[2]));
    config.warmup = std::min(config.warmup, config.duration / 2);
    std::vector<sim::TraceRow> trace;
    if (config.trace) trace = sim::load_azure_trace(config.trace->file);

    sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
    registry.add("dedicated", "whole GPUs per service, least-queued peer",
                 [] { return std::make_unique<Dedicated>(); });
    fmt::print("{:<14} {:>10} {:>9}  {}\n", "strategy", "goodput/s", "attained", "worst service");
    bool exact = true;
    for (const std::string& name : registry.names()) {
      const auto strategy = registry.make(name);
      const sim::RunMetrics m = sim::simulate(scenario, config, *strategy, trace);
      const sim::ServiceMetrics* worst = m.worst_service();
      fmt::print("{:<14} {:>10.1f} {:>8.1f}%  {} {:.1f}%\n", name, m.goodput(),
                 100.0 * m.attainment(),
                 worst ? scenario.service(worst->service).name : std::string("-"),
                 worst ? 100.0 * worst->attainment() : 0.0);
      exact = exact && m.balanced();
    }
    if (!exact) {
      std::fprintf(stderr, "custom_strategy: an offered item has no outcome\n");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_strategy: %s\n", e.what());
    return 1;
  }
}
