#include "epara/sim/simulator.hpp"

#include <string_view>

#include <fmt/format.h>

#include "epara/model/limits.hpp"
#include "sim/strategies/builtins.hpp"
#include "sim/world.hpp"

namespace epara::sim {

namespace {

// Fails naming `field` unless min <= value <= max.
void expect_in(std::string_view field, double value, double min, double max) {
  EPARA_EXPECTS(value >= min && value <= max,
                fmt::format("simulate: {} must be in [{}, {}] (got {})", field, min, max, value));
}

// The most items the run can offer: every demand at its peak factor for the whole duration,
// plus the trace's rows.
double offered_items_bound(const Scenario& scenario, const SimulationConfig& config,
                           std::size_t trace_rows) {
  double items = static_cast<double>(trace_rows);
  for (const Demand& d : scenario.demand) {
    const double peak = config.load_scale * peak_load_factor(config, d.service, d.origin);
    items +=
        d.items(scenario.service(d.service).slo).per_second * peak * to_seconds(config.duration);
  }
  return items;
}

// Work the run schedules whatever the load: a sync message from every server each sync period,
// and each placement period a placement whose cost grows with its candidates (services ×
// servers).
double periodic_work(const Scenario& scenario, const SimulationConfig& config) {
  const double servers = static_cast<double>(scenario.cluster.servers.size());
  const double services = static_cast<double>(scenario.services.size());
  const double run = to_seconds(config.duration);
  return run / to_seconds(config.sync_period) * servers +
         run / to_seconds(config.placement_period) * servers * services;
}

// Streams of one demand entry at its peak factor: far beyond any camera network, small enough
// to count in an int.
constexpr double max_streams_per_entry = 1e7;

}  // namespace

RunMetrics simulate(const Scenario& scenario, const SimulationConfig& config, Strategy& strategy,
                    std::vector<TraceRow> trace) {
  EPARA_EXPECTS(config.duration > Duration::zero(), "simulate: duration must be > 0");
  expect_in("duration (s)", to_seconds(config.duration), 0.0, limits::max_seconds);
  EPARA_EXPECTS(config.warmup >= Duration::zero() && config.warmup < config.duration,
                "simulate: warmup must be in [0, duration)");
  expect_in("load_scale", config.load_scale, limits::min_load_factor, limits::max_load_factor);
  expect_in("burstiness", config.burstiness, limits::min_burstiness, limits::max_burstiness);
  for (const LoadStep& step : config.load_profile) {
    expect_in("a load step's factor", step.factor, 0.0, limits::max_load_factor);
    expect_in("a load step's time (s)", to_seconds(step.at), 0.0, limits::max_seconds);
  }
  EPARA_EXPECTS(config.sync_period > Duration::zero() && config.placement_period > Duration::zero(),
                "simulate: sync and placement periods must be > 0");
  expect_in("sync_loss", config.sync_loss, 0.0, 1.0);
  expect_in("interference", config.interference, 1.0, limits::max_interference);
  expect_in("pass_time_scale", config.pass_time_scale, limits::min_pass_time_scale,
            limits::max_pass_time_scale);
  EPARA_EXPECTS(config.pass_time_scale_by_batch.size() <= limits::max_scaled_batches,
                "simulate: pass_time_scale_by_batch lists too many batch sizes");
  for (const double scale : config.pass_time_scale_by_batch)
    expect_in("pass_time_scale_by_batch", scale, limits::min_pass_time_scale,
              limits::max_pass_time_scale);
  expect_in("pass_time_cv", config.pass_time_cv, 0.0, limits::max_pass_time_cv);
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
    expect_in("the trace's speedup", config.trace->speedup, limits::min_load_factor,
              limits::max_load_factor);
    EPARA_EXPECTS(!trace.empty(), fmt::format("{}: the trace has no requests (a header alone)",
                                              config.trace->file));
  }
  for (const Demand& d : scenario.demand) {
    const double streams =
        d.streams * config.load_scale * peak_load_factor(config, d.service, d.origin);
    EPARA_EXPECTS(streams <= max_streams_per_entry,
                  fmt::format("simulate: {:.3g} streams of '{}' at '{}' at the peak load, more "
                              "than {:.0e}: lower the load",
                              streams, scenario.service(d.service).name,
                              scenario.cluster.server(d.origin).name, max_streams_per_entry));
  }
  const double offered = offered_items_bound(scenario, config, trace.size());
  EPARA_EXPECTS(offered <= config.max_items,
                fmt::format("simulate: the run could offer {:.3g} items, more than the limit of "
                            "{:.3g} (max_items, epara-sim --max-items): shorten the duration, "
                            "lower the load, or raise the limit",
                            offered, config.max_items));
  const double periodic = periodic_work(scenario, config);
  EPARA_EXPECTS(periodic <= config.max_items,
                fmt::format("simulate: the sync and placement periods would schedule {:.3g} "
                            "messages and placement candidates, more than the limit of {:.3g} "
                            "(max_items, epara-sim --max-items): lengthen the periods or shorten "
                            "the duration",
                            periodic, config.max_items));
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
      fmt::format("unknown strategy '{}' (known: {})", name, fmt::join(names(), ", ")));
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
