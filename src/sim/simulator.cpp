#include "epara/sim/simulator.hpp"

#include <fmt/format.h>

#include "sim/strategies/builtins.hpp"
#include "sim/world.hpp"

namespace epara::sim {

RunMetrics simulate(const Scenario& scenario, const SimulationConfig& config, Strategy& strategy,
                    std::vector<TraceRow> trace) {
  EPARA_EXPECTS(config.duration > Duration::zero(), "simulate: duration must be > 0");
  EPARA_EXPECTS(config.warmup >= Duration::zero() && config.warmup < config.duration,
                "simulate: warmup must be in [0, duration)");
  EPARA_EXPECTS(config.load_scale > 0.0, "simulate: load_scale must be > 0");
  EPARA_EXPECTS(config.burstiness > 0.0, "simulate: burstiness must be > 0");
  EPARA_EXPECTS(config.sync_period > Duration::zero() && config.placement_period > Duration::zero(),
                "simulate: sync and placement periods must be > 0");
  EPARA_EXPECTS(config.sync_loss >= 0.0 && config.sync_loss <= 1.0,
                "simulate: sync_loss must be in [0, 1]");
  EPARA_EXPECTS(config.interference >= 1.0, "simulate: interference must be >= 1");
  const std::size_t servers = scenario.cluster.servers.size();
  for (const Fault& f : config.faults) {
    EPARA_EXPECTS(index_of(f.server) < servers, "simulate: a fault names an unknown server");
    const ServerSpec& s = scenario.cluster.server(f.server);
    if (f.kind == FaultKind::DeviceDown || f.kind == FaultKind::DeviceUp)
      EPARA_EXPECTS(f.device == cpu_slot
                        ? s.cpu.has_value()
                        : f.device >= 0 && static_cast<std::size_t>(f.device) < s.gpus.size(),
                    fmt::format("simulate: a fault names device {} of server '{}', which it "
                                "does not have",
                                f.device, s.name));
  }
  if (config.trace) {
    EPARA_EXPECTS(index_of(config.trace->service) < scenario.services.size(),
                  "simulate: the trace names an unknown service");
    EPARA_EXPECTS(!config.trace->origins.empty(), "simulate: the trace needs origins");
    for (ServerId o : config.trace->origins)
      EPARA_EXPECTS(index_of(o) < servers, "simulate: the trace names an unknown origin");
    EPARA_EXPECTS(config.trace->speedup > 0.0, "simulate: trace speedup must be > 0");
  }
  detail::World world(scenario, config, strategy, std::move(trace));
  return world.run();
}

StrategyRegistry StrategyRegistry::with_builtins() {
  StrategyRegistry r;
  r.add("epara", "categorized plans, state-aware greedy placement, distributed handler",
        detail::make_epara);
  r.add("uncategorized", "one batching policy, demand-proportional GPUs, nearest replica",
        detail::make_uncategorized);
  r.add("nexus", "squishy bin packing from SLOs, centralized weighted dispatch",
        detail::make_nexus);
  r.add("alpaserve", "model-parallel groups shared by models, shortest-queue dispatch",
        detail::make_alpaserve);
  r.add("offload", "plain deployment + offload to the least-loaded peer", detail::make_offload);
  return r;
}

void StrategyRegistry::add(std::string name, std::string description, Factory factory) {
  for (const Entry& e : entries_)
    EPARA_EXPECTS(e.name != name, fmt::format("StrategyRegistry: '{}' registered twice", name));
  entries_.push_back({std::move(name), std::move(description), std::move(factory)});
}

const StrategyRegistry::Entry& StrategyRegistry::find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return e;
  throw InvalidArgument(
      fmt::format("unknown allocator '{}' (known: {})", name, fmt::join(names(), ", ")));
}

std::unique_ptr<Strategy> StrategyRegistry::make(std::string_view name) const {
  return find(name).factory();
}

std::vector<std::string> StrategyRegistry::names() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

const std::string& StrategyRegistry::description(std::string_view name) const {
  return find(name).description;
}

}  // namespace epara::sim
