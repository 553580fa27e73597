// epara-place: the state-aware scheduler. Scenario (+ the currently loaded instances, + a demand
// file) in; the placement out, as JSON and as a per-server summary.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "epara/bound/placement_ilp.hpp"
#include "epara/io/placement_json.hpp"

namespace {

using namespace epara;

std::string device_name(DeviceSlot slot) {
  return slot == cpu_slot ? std::string("cpu") : fmt::format("gpu {}", slot);
}

void print_summary(const Scenario& s, const Placement& p, const SchedulerOptions& o,
                   std::string_view source, double seconds) {
  fmt::print("Placement of {}: {} greedy, {} objective weighting {}\n", source,
             to_string(o.variant), to_string(o.objective), to_string(o.weighting));
  fmt::print(
      "served {:.4g}/s of {:.4g}/s ({:.1f}%); {} instances: {} loads ({} of load time), "
      "{} kept, {} unloads\n",
      p.served, p.demand, p.demand > 0 ? 100.0 * p.served / p.demand : 100.0, p.instances.size(),
      p.loads.size(), format_duration(p.load_time), p.instances.size() - p.loads.size(),
      p.unloads.size());
  if (o.choose_attainment_floor || o.attainment_floor > 0.0)
    fmt::print("attainment floor {:g}{}\n", p.attainment_floor,
               o.choose_attainment_floor
                   ? fmt::format(" (chosen: at most {:g}% of the planned items given up)",
                                 100 * o.attainment_floor_cost)
                   : "");
  fmt::print("{} objective evaluations over {} candidates; {}{}; {:.3g} s\n\n", p.evaluations,
             p.candidates, to_string(p.termination),
             p.singleton ? " (the best single instance beat the greedy set)" : "", seconds);

  // What runs on each device: instance indices by (server, slot).
  std::map<std::pair<std::size_t, DeviceSlot>, std::vector<std::size_t>> on_device;
  for (std::size_t i = 0; i < p.instances.size(); ++i)
    for (DeviceSlot slot : p.instances[i].devices)
      on_device[{index_of(p.instances[i].server), slot}].push_back(i);
  std::size_t idle_servers = 0;
  for (std::size_t v = 0; v < s.cluster.servers.size(); ++v) {
    const ServerSpec& server = s.cluster.servers[v];
    std::string lines;
    for (const DeviceUsage& d : p.devices) {
      if (index_of(d.server) != v || d.instances == 0) continue;
      std::string names;
      for (std::size_t i : on_device[{v, d.slot}]) {
        const PlacedInstance& inst = p.instances[i];
        const InstanceType& t = p.types[inst.type];
        names += fmt::format("{}{}", names.empty() ? "" : ", ", s.service(inst.service).name);
        if (t.devices > 1) names += fmt::format(" [{}-device replica]", t.devices);
        if (t.share < 1.0) names += fmt::format(" ({:.0f}%)", t.share * 100);
        if (inst.spare) names += " spare";
        if (!inst.kept) names += " +load";
      }
      lines += fmt::format("  {} {}: {} | compute {:.0f}%, memory {} of {}\n", device_name(d.slot),
                           s.cluster.device_class(d.device_class).name, names,
                           static_cast<double>(d.share_used) / share_ppm_whole * 100, d.memory_used,
                           d.memory);
    }
    if (lines.empty()) {
      ++idle_servers;
      continue;
    }
    fmt::print("{} ({})\n{}", server.name, to_string(server.kind), lines);
  }
  if (idle_servers > 0) fmt::print("({} servers with nothing loaded)\n", idle_servers);
  for (const LoadedInstance& u : p.unloads)
    fmt::print("unload: {} from {} {}\n", s.service(u.service).name,
               s.cluster.server(u.server).name, fmt::join(u.devices, ","));
  fmt::print("\nServices\n");
  for (const ServiceOutcome& outcome : p.services)
    fmt::print("  {:<18} {:<12} {:>9.4g}/s of {:<9.4g} {}\n", s.service(outcome.service).name,
               to_string(outcome.status), outcome.served, outcome.demand, outcome.reason);
}

// The integer program's optimum on the same problem, from scratch (the ILP does not model kept
// instances or load costs), and how near the placement comes. Values are weighted units: with
// the items weighting, items per second.
void print_optimum(const Scenario& s, const std::vector<Demand>& demand,
                   const SchedulerOptions& options, const Placement& placement, double seconds) {
  const GroundSet ground = placement_ground_set(s, demand, {}, options);
  const auto start = std::chrono::steady_clock::now();
  const bound::PlacementOptimum best = bound::optimal_placement(
      ground, {.time_limit_s = seconds, .serve_every_service = options.serve_every_service});
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string_view unit =
      options.weighting == Weighting::Items ? "items/s" : "weighted items/s";
  if (!best.feasible) {
    fmt::print("\nOptimum (ILP): no placement serves every service at once ({:.3g} s)\n", took);
    return;
  }
  const double value = best.value / units_per_item;
  fmt::print("\nOptimum (ILP, from scratch, loads free): {:.4g} {}{} ({:.3g} s)\n", value, unit,
             best.proven ? ", proven"
                         : fmt::format(", not proven: at most {:.4g}", best.upper / units_per_item),
             took);
  std::map<std::size_t, std::string> on_server;  // the optimum's instances, by server
  for (std::uint32_t g = 0; g < ground.group_count(); ++g) {
    if (best.instances[g] == 0) continue;
    const InstanceType& t = ground.group_type(g);
    std::string& line = on_server[index_of(ground.group_server(g))];
    const std::string size = t.share < 1.0   ? fmt::format("{:.0f}% share", 100 * t.share)
                             : t.devices > 1 ? fmt::format("{} devices", t.devices)
                                             : std::string("1 device");
    line += fmt::format("{}{} x{} ({})", line.empty() ? "" : ", ", s.service(t.service).name,
                        best.instances[g], size);
  }
  for (const auto& [server, line] : on_server)
    fmt::print("  {}: {}\n", s.cluster.servers[server].name, line);
  if (best.value > 0)
    fmt::print("this placement: {:.4g} {}, {:.1f}% of the optimum{}\n",
               placement.weighted_value / units_per_item, unit,
               100.0 * placement.weighted_value / best.value,
               placement.unloads.empty() && placement.loads.size() == placement.instances.size()
                   ? ""
                   : " (it keeps loaded instances, which the ILP does not model)");

  // The best worst service: what no placement of these instance types can beat.
  const bound::PlacementOptimum fair =
      bound::optimal_placement(ground, {.time_limit_s = seconds,
                                        .serve_every_service = options.serve_every_service,
                                        .max_min = true});
  const std::optional<ServiceOutcome> least = worst_service(placement);
  const double worst = least ? least->served / least->demand : 1.0;
  const std::string worst_name = least ? s.service(least->service).name : "-";
  const bool found = fair.proven || std::any_of(fair.instances.begin(), fair.instances.end(),
                                                [](int n) { return n > 0; });
  const std::string optimum =
      found ? fmt::format("{:.1f}% of its demand at {:.4g} {}{}", 100.0 * fair.worst_attainment,
                          fair.value / units_per_item, unit,
                          fair.proven ? std::string(", proven")
                                      : fmt::format(", not proven: at most {:.1f}%",
                                                    100.0 * fair.worst_upper))
            : fmt::format("no solution found in {:.3g} s, at most {:.1f}% of its demand", seconds,
                          100.0 * fair.worst_upper);
  fmt::print("Worst service (ILP, max-min then {}): {}; this placement: {:.1f}% ({})\n", unit,
             optimum, 100.0 * worst, worst_name);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Places service instances on a scenario's servers by greedy submodular "
      "maximization of the SLO-feasible demand they serve (state-aware)."};
  epara::cli::add_standard_options(app);
  std::string scenario_path, current_path, demand_path, out_path,
      variant = "lazy", objective = "flow", weighting = "items";
  double budget_s = -1, penalty = 0, optimal_s = 0, load = 1, headroom = 1;
  std::optional<cli::AttainmentFloorOption> floor;
  bool json = false, serve_every_service = true, spare_replicas = true;
  app.add_option("scenario", scenario_path, "Scenario JSON (default: the embedded testbed)");
  app.add_option("--current", current_path,
                 "Loaded instances ({\"instances\": [...]}, e.g. a previous --out)");
  app.add_option("--demand", demand_path,
                 "Demand JSON ({\"demand\": [...]}) replacing the "
                 "scenario's");
  app.add_option("--load", load,
                 "Multiply every demand by this (streams rounded to the nearest, as epara-sim "
                 "--load does); default: 1")
      ->check(cli::load_factor);
  app.add_option("--variant", variant, "Greedy variant")
      ->check(CLI::IsMember({"plain", "lazy", "stochastic"}));
  app.add_option("--objective", objective, "Objective")
      ->check(CLI::IsMember({"flow", "surrogate"}));
  cli::add_weighting_option(app, weighting, "items");
  cli::add_serve_every_service_option(app, serve_every_service, "true");
  cli::add_spare_replicas_option(app, spare_replicas, "true");
  cli::add_attainment_floor_option(app, floor, "0");
  app.add_option("--headroom", headroom,
                 "Size plans for the demand times this, the extra placed after every "
                 "service's demand (epara-sim's EPARA uses 1.2); default: 1")
      ->check(CLI::Range(1.0, 100.0));
  app.add_option("--load-budget-s", budget_s, "Seconds of model loading allowed this period")
      ->check(cli::seconds_or_zero);
  app.add_option("--load-penalty", penalty,
                 "Items/s of served demand given up per second of load time")
      ->check(cli::non_negative);
  app.add_option("--out", out_path, "Write the placement as JSON to this file");
  app.add_flag("--json", json, "Print the placement as JSON instead of the summary");
  app.add_option("--optimal", optimal_s,
                 "Also solve the placement integer program (GLPK) for at most this many seconds "
                 "and print the optimum beside the placement: from scratch, loads free, under "
                 "the same weighting and --serve-every-service")
      ->check(cli::seconds);
  CLI11_PARSE(app, argc, argv);

  return cli::run_reporting_errors("epara-place", [&] {
    const Scenario scenario = cli::load_scenario_or_testbed(scenario_path);
    cli::print_scenario_warnings("epara-place",
                                 scenario_path.empty() ? cli::embedded_testbed_name : scenario_path,
                                 scenario);
    auto demand = demand_path.empty()
                      ? scenario.demand
                      : io::parse_demand(io::read_text_file(demand_path), demand_path, scenario);
    for (Demand& d : demand) d = d.scaled(load);
    const auto current =
        current_path.empty()
            ? std::vector<LoadedInstance>{}
            : io::parse_loaded_instances(io::read_text_file(current_path), current_path, scenario);
    SchedulerOptions options;
    options.variant = variant == "plain"  ? GreedyVariant::Plain
                      : variant == "lazy" ? GreedyVariant::Lazy
                                          : GreedyVariant::Stochastic;
    options.objective = objective == "flow" ? ObjectiveKind::Flow : ObjectiveKind::Surrogate;
    options.weighting = *parse_weighting(weighting);
    options.serve_every_service = serve_every_service;
    options.spare_replicas = spare_replicas;
    if (floor) {
      options.choose_attainment_floor = floor->choose;
      options.attainment_floor = floor->share;
    }
    options.headroom = headroom;
    if (budget_s >= 0) options.load_budget = from_seconds(budget_s);
    options.load_penalty = penalty;

    const auto start = std::chrono::steady_clock::now();
    const Placement placement = schedule(scenario, demand, current, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string text = io::placement_to_json(placement, scenario);
    if (!out_path.empty()) {
      std::ofstream out(out_path, std::ios::binary);
      if (!(out << text) || !out.flush())
        throw InvalidArgument(fmt::format("{}: cannot write", out_path));
    }
    if (json) {
      fmt::print("{}", text);
    } else {
      print_summary(
          scenario, placement, options,
          scenario_path.empty() ? cli::embedded_testbed_name : std::string_view(scenario_path),
          seconds);
    }
    if (optimal_s > 0) print_optimum(scenario, demand, options, placement, optimal_s);
    return 0;
  });
}
