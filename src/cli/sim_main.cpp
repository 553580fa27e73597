// epara-sim: runs EPARA and the baselines side by side on one scenario's workload and reports
// who serves more within SLO, on how many GPUs.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "confidence.hpp"
#include "epara/sim/bound.hpp"
#include "epara/sim/gpus_needed.hpp"
#include "epara/sim/metrics_json.hpp"
#include "epara/sim/simulation_json.hpp"

namespace {

using namespace epara;
using namespace epara::sim;

// One strategy at one load, run once per seed.
struct Row {
  std::string strategy;
  double load = 1.0;
  std::vector<std::uint64_t> seeds;
  std::vector<RunMetrics> runs;  // [i] ran with seeds[i]
  std::optional<GpusNeeded> needed;
  double wall_s = 0.0;

  template <class Figure>
  cli::Estimate over_seeds(Figure figure) const {
    std::vector<double> samples;
    for (const RunMetrics& m : runs) samples.push_back(figure(m));
    return cli::estimate(samples);
  }
};

// The fluid LP bound at one load: what no strategy's goodput exceeds, and the fewest GPUs with
// which it reaches the --gpus-needed target.
struct LoadBound {
  double load = 1.0;
  RunBound bound;
  std::optional<GpusNeeded> needed;
};

// "24" when the search pinned the count; "(20,24]" for a bracket: the largest cluster found
// short of the target has 20 GPUs, the smallest reaching it 24; ">N" when not even N reached it.
std::string needed_text(const std::optional<GpusNeeded>& n) {
  if (!n) return "-";
  if (!n->reached) return fmt::format(">{}", n->gpus_below);
  if (n->gpus_below == 0 || n->gpus_below + 1 == n->gpus) return std::to_string(n->gpus);
  return fmt::format("({},{}]", n->gpus_below, n->gpus);
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string percent(double x) { return fmt::format("{:.1f}%", 100.0 * x); }

// "95.8%", or "95.8±0.4%" over several seeds.
std::string percent(const cli::Estimate& e, bool spread) {
  if (!spread) return percent(e.mean);
  return fmt::format("{:.1f}±{:.1f}%", 100.0 * e.mean, 100.0 * e.half_width);
}
// "2514.8", or "2514.8±12.1" over several seeds.
std::string number(const cli::Estimate& e, bool spread, int decimals) {
  if (!spread) return fmt::format("{:.{}f}", e.mean, decimals);
  return fmt::format("{:.{}f}±{:.{}f}", e.mean, decimals, e.half_width, decimals);
}

// A progress bar on stderr when it is a terminal, once the work has taken a second: runs done
// plus the running one's fraction.
class Progress {
 public:
  Progress(bool on, std::size_t total) : on_(on && isatty(fileno(stderr)) != 0), total_(total) {}
  void show(const std::string& what, double fraction) {
    if (!on_ || std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;
    shown_ = true;
    const double done = (static_cast<double>(done_) + fraction) /
                        static_cast<double>(std::max<std::size_t>(total_, 1));
    const auto filled = static_cast<std::size_t>(30.0 * std::clamp(done, 0.0, 1.0));
    fmt::print(stderr, "\r[{}{}] {}/{} {:<40}", std::string(filled, '#'),
               std::string(30 - filled, '.'), done_ + 1, total_, what);
    std::fflush(stderr);
  }
  void finished() { ++done_; }
  ~Progress() {
    if (shown_) fmt::print(stderr, "\r{:<90}\r", "");
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool shown_ = false;
  bool on_;
  std::size_t total_;
  std::size_t done_ = 0;
};

// Per service, the parallel modes each strategy's passes used: the share of its completed
// requests (all seeds together) whose pass used each mode, the modes of at least 1% listed.
void print_modes(const std::vector<Row>& rows, const Scenario& s, int width) {
  constexpr std::array<std::string_view, all_modes.size()> abbreviation{"MP", "DP", "B", "MF",
                                                                        "MT"};
  std::vector<std::vector<std::string>> cells(s.services.size());  // [service][row]
  for (std::size_t i = 0; i < s.services.size(); ++i)
    for (const Row& r : rows) {
      std::array<std::uint64_t, all_modes.size()> used{};
      std::uint64_t completed = 0;
      for (const RunMetrics& run : r.runs) {
        const ServiceMetrics& m = run.services[i];
        completed += m.served + m.late;
        for (std::size_t k = 0; k < used.size(); ++k) used[k] += m.by_mode[k];
      }
      std::string cell;
      for (std::size_t k = 0; k < used.size() && completed > 0; ++k) {
        const double share = 100.0 * static_cast<double>(used[k]) / static_cast<double>(completed);
        if (share >= 1.0)
          cell += fmt::format("{}{}{:.0f}", cell.empty() ? "" : " ", abbreviation[k], share);
      }
      cells[i].push_back(completed == 0 ? "-" : cell.empty() ? "single" : cell);
      width = std::max(width, static_cast<int>(cells[i].back().size()));
    }
  fmt::print(
      "\nParallel modes by service (% of completed requests whose pass used it): MP model "
      "parallel, DP data parallel, B batching, MF multi-frame, MT multi-task\n{:<34}",
      "service");
  for (const Row& r : rows) fmt::print(" {:>{}}", r.strategy, width);
  fmt::print("\n");
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    if (rows.empty() || rows.front().runs.front().services[i].offered == 0) continue;
    fmt::print("{:<34}", s.services[i].name);
    for (const std::string& cell : cells[i]) fmt::print(" {:>{}}", cell, width);
    fmt::print("\n");
  }
}

// Per service, each strategy's attainment and p99 latency; then the worst service and
// Jain's fairness index over the services' attainment. Totals count items, so a cheap
// high-rate service can hide a starved one: this is where it shows.
void print_services(const std::vector<Row>& rows, const Scenario& s, const RunBound& bound,
                    bool spread) {
  const int width = spread ? 24 : 19;
  fmt::print(
      "\nSLO attainment (p99 latency) by service; alone: the bound's with the cluster to "
      "itself\n{:<16} {:>9} {:>7}",
      "service", "offered", "alone");
  for (const Row& r : rows) fmt::print(" {:>{}}", r.strategy, width);
  fmt::print("\n");
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    if (rows.empty() || rows.front().runs.front().services[i].offered == 0) continue;
    const double offered = bound.offered_by_service[i];
    fmt::print("{:<16} {:>9} {:>7}", s.services[i].name,
               rows.front().runs.front().services[i].offered,
               offered > 0 ? percent(bound.alone[i] / offered) : std::string("-"));
    for (const Row& r : rows) {
      const ServiceMetrics& m = r.runs.front().services[i];  // the p99 of the first seed
      const auto attained =
          r.over_seeds([&](const RunMetrics& x) { return x.services[i].attainment(); });
      fmt::print(" {:>{}}",
                 fmt::format("{} ({})", percent(attained, spread),
                             m.latency.count() == 0
                                 ? std::string("-")
                                 : format_duration(from_seconds(m.latency.quantile(0.99)))),
                 width);
    }
    fmt::print("\n");
  }
  fmt::print("{:<34}", "worst service");
  for (const Row& r : rows) {
    const ServiceMetrics* w = r.runs.front().worst_service();
    const auto worst = r.over_seeds([](const RunMetrics& x) {
      const ServiceMetrics* ws = x.worst_service();
      return ws ? ws->attainment() : 1.0;
    });
    fmt::print(
        " {:>{}}",
        w ? fmt::format("{} {}", percent(worst, spread), s.service(w->service).name.substr(0, 12))
          : std::string("-"),
        width);
  }
  fmt::print("\n{:<34}", "fairness (Jain)");
  for (const Row& r : rows)
    fmt::print(" {:>{}}",
               number(r.over_seeds([](const RunMetrics& x) { return x.fairness(); }), spread, 3),
               width);
  fmt::print("\n");
  print_modes(rows, s, width);
}

void print_table(const std::vector<Row>& rows, const LoadBound& bound, const Scenario& s,
                 std::string_view source, const SimulationConfig& c, bool with_needed) {
  const std::size_t seeds = rows.empty() ? 1 : rows.front().runs.size();
  const bool spread = seeds > 1;
  fmt::print("{}: {} servers, {}, {} services; {} simulated ({} warm-up), {}, load x{}\n", source,
             s.cluster.servers.size(), epara::cli::devices_summary(s.cluster), s.services.size(),
             format_duration(c.duration), format_duration(c.warmup),
             spread ? fmt::format("seeds {}-{}", c.seed, c.seed + seeds - 1)
                    : fmt::format("seed {}", c.seed),
             c.load_scale);
  if (spread)
    fmt::print("Figures: mean ± half-width of the 95% confidence interval over the seeds\n");
  fmt::print("\n");
  const Row* epara = nullptr;
  for (const Row& r : rows)
    if (r.strategy == "epara") epara = &r;
  const int wide = spread ? 15 : 10, narrow = spread ? 12 : 8;
  const std::string dash = "-";
  const std::string needed_header = with_needed ? fmt::format(" {:>11}", "GPUs needed") : "";
  fmt::print("{:<14} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}}{} {:>9}\n",
             "strategy", "goodput/s", wide, "of bound", narrow, "attained", wide, "late", narrow,
             "rejected", narrow, "offloads", narrow, "devices", narrow, "compute", narrow, "memory",
             narrow, needed_header, "EPARA/this");
  // The bound's rows: goodput and attainment, GPUs needed, nothing else measured.
  const auto bound_row = [&](std::string_view label, double goodput, const std::string& attained,
                             const std::string& needed) {
    fmt::print("{:<14} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}}{} {:>9}\n",
               label, fmt::format("{:.1f}", goodput), wide, dash, narrow, attained, wide, dash,
               narrow, dash, narrow, dash, narrow, dash, narrow, dash, narrow, dash, narrow,
               with_needed ? fmt::format(" {:>11}", needed) : "", dash);
  };
  bound_row("bound (LP)", bound.bound.goodput, percent(bound.bound.attainment()),
            needed_text(bound.needed));
  bound_row("bound, fair", bound.bound.fair_goodput,
            fmt::format("min {}", percent(bound.bound.fair_attainment)), "");
  const auto share = [](const RunMetrics& m, std::uint64_t part) {
    return static_cast<double>(part) / std::max<double>(1.0, static_cast<double>(m.offered()));
  };
  for (const Row& r : rows) {
    const auto goodput = r.over_seeds([](const RunMetrics& m) { return m.goodput(); });
    std::string ratio = dash;
    if (epara && &r != epara && goodput.mean > 0) {
      std::vector<double> ratios;  // per seed: the same workload for both
      for (std::size_t i = 0; i < r.runs.size(); ++i)
        ratios.push_back(epara->runs[i].goodput() / std::max(r.runs[i].goodput(), 1e-9));
      const cli::Estimate e = cli::estimate(ratios);
      ratio = spread ? fmt::format("{:.2f}±{:.2f}x", e.mean, e.half_width)
                     : fmt::format("{:.2f}x", e.mean);
    }
    fmt::print(
        "{:<14} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}}{} {:>9}\n",
        r.strategy, number(goodput, spread, 1), wide,
        bound.bound.goodput > 0 ? percent(r.over_seeds([&](const RunMetrics& m) {
          return m.goodput() / bound.bound.goodput;
        }),
                                          spread)
                                : dash,
        narrow, percent(r.over_seeds([](const RunMetrics& m) { return m.attainment(); }), spread),
        wide,
        percent(r.over_seeds([&](const RunMetrics& m) { return share(m, m.late()); }), spread),
        narrow,
        percent(r.over_seeds([&](const RunMetrics& m) { return share(m, m.rejected()); }), spread),
        narrow,
        number(r.over_seeds([&](const RunMetrics& m) {
          std::uint64_t n = 0;
          for (const auto& sm : m.services) n += sm.offloads;
          return share(m, n);
        }),
               spread, 2),
        narrow, number(r.over_seeds([](const RunMetrics& m) { return m.devices_used; }), spread, 0),
        narrow,
        percent(r.over_seeds([](const RunMetrics& m) { return m.compute_utilization; }), spread),
        narrow,
        percent(r.over_seeds([](const RunMetrics& m) { return m.memory_utilization; }), spread),
        narrow, with_needed ? fmt::format(" {:>11}", needed_text(r.needed)) : std::string(), ratio);
  }
  print_services(rows, s, bound.bound, spread);
  fmt::print("\nSLO attainment by category (offered items)\n{:<14}", "strategy");
  for (Category cat : {Category::LatencyOneGpu, Category::LatencySeveralGpus,
                       Category::FrequencyOneGpu, Category::FrequencySeveralGpus})
    fmt::print(" {:>16}", code(cat));
  fmt::print("\n");
  for (const Row& r : rows) {
    fmt::print("{:<14}", r.strategy);
    for (Category cat : {Category::LatencyOneGpu, Category::LatencySeveralGpus,
                         Category::FrequencyOneGpu, Category::FrequencySeveralGpus}) {
      std::uint64_t offered = 0, served = 0;
      for (const RunMetrics& m : r.runs)
        for (const ServiceMetrics& sm : m.services)
          if (sm.category == cat) offered += sm.offered, served += sm.served;
      fmt::print(" {:>16}", offered == 0 ? std::string("-")
                                         : fmt::format("{} ({})",
                                                       percent(static_cast<double>(served) /
                                                               static_cast<double>(offered)),
                                                       offered));
    }
    fmt::print("\n");
  }
  bool balanced = true;
  std::uint64_t events = 0;
  double wall = 0;
  for (const Row& r : rows) {
    for (const RunMetrics& m : r.runs) {
      balanced = balanced && m.balanced();
      events += m.events;
    }
    wall += r.wall_s;
  }
  fmt::print(
      "\nAccounting: {} (every offered item served in SLO, late, or rejected with a "
      "reason)\n",
      balanced ? "exact" : "MISMATCH");
  fmt::print("Simulated {} events in {:.2f} s ({:.2g} events/s)\n", events, wall,
             wall > 0 ? static_cast<double>(events) / wall : 0.0);
}

// One JSON object per run (strategy, load, seed).
nlohmann::ordered_json row_json(const Row& r, std::size_t run, const LoadBound& b,
                                const Scenario& s) {
  nlohmann::ordered_json j{
      {"strategy", r.strategy}, {"load_scale", r.load}, {"seed", r.seeds[run]}};
  nlohmann::ordered_json metrics =
      nlohmann::ordered_json::parse(sim::run_metrics_to_json(r.runs[run], s));
  for (auto& [key, value] : metrics.items()) j[key] = std::move(value);
  const auto needed_json = [](const std::optional<GpusNeeded>& n) {
    return n->reached ? nlohmann::ordered_json(n->gpus) : nlohmann::ordered_json(nullptr);
  };
  if (r.needed) {  // over all the seeds
    j["gpus_needed"] = needed_json(r.needed);
    j["gpus_needed_below"] = r.needed->gpus_below;  // the largest cluster found short of it
  }
  nlohmann::ordered_json bound{{"goodput_per_s", b.bound.goodput},
                               {"attainment", b.bound.attainment()},
                               {"alone", nlohmann::ordered_json::object()}};
  for (std::size_t i = 0; i < s.services.size(); ++i)
    if (b.bound.offered_by_service[i] > 0)
      bound["alone"][s.services[i].name] = b.bound.alone[i] / b.bound.offered_by_service[i];
  if (b.needed) bound["gpus_needed"] = needed_json(b.needed);
  j["bound"] = std::move(bound);
  return j;
}

const LoadBound& bound_at(const std::vector<LoadBound>& bounds, double load) {
  for (const LoadBound& b : bounds)
    if (b.load == load) return b;
  throw Error(fmt::format("epara-sim: no bound computed at load x{}", load));
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char ch : text) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

std::string csv(const std::vector<Row>& rows, const std::vector<LoadBound>& bounds,
                const Scenario& s, std::string_view source, const SimulationConfig& c) {
  std::string out =
      "scenario,seed,duration_s,burstiness,strategy,load_scale,goodput_per_s,attainment,"
      "worst_service,worst_attainment,fairness,offered,served,late,rejected,"
      "compute_utilization,memory_utilization,devices_used,gpus_needed,gpus_needed_below,"
      "bound_goodput_per_s,bound_gpus_needed\n";
  const double burstiness = c.arrivals == ArrivalProcess::Gamma ? c.burstiness : 1.0;
  for (const Row& r : rows)
    for (std::size_t run = 0; run < r.runs.size(); ++run) {
      const RunMetrics& m = r.runs[run];
      const ServiceMetrics* worst = m.worst_service();
      const LoadBound& b = bound_at(bounds, r.load);
      const auto gpus = [](const std::optional<GpusNeeded>& n) {
        return n && n->reached ? std::to_string(n->gpus) : std::string();
      };
      out += fmt::format(
          "{},{},{},{},{},{},{:.4f},{:.6f},{},{:.6f},{:.6f},{},{},{},{},{:.4f},{:.4f},{},{},{},{:."
          "4f}"
          ","
          "{}\n",
          csv_field(source), r.seeds[run], to_seconds(c.duration), burstiness, r.strategy, r.load,
          m.goodput(), m.attainment(), worst ? csv_field(s.service(worst->service).name) : "",
          worst ? worst->attainment() : 1.0, m.fairness(), m.offered(), m.served(), m.late(),
          m.rejected(), m.compute_utilization, m.memory_utilization, m.devices_used, gpus(r.needed),
          r.needed ? std::to_string(r.needed->gpus_below) : "", b.bound.goodput, gpus(b.needed));
    }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Simulates an edge cloud serving a scenario's workload with EPARA and the prior "
      "approaches side by side (docs/simulator.md)."};
  epara::cli::add_standard_options(app);
  std::string scenario_path, strategies = "epara,uncategorized,nexus,alpaserve,offload";
  std::string json_path, csv_path, sweep;
  std::optional<std::string> weighting;
  std::optional<bool> serve_every_service, spare_replicas;
  std::optional<std::uint64_t> seed;
  std::optional<double> duration, warmup, load, burstiness, scale;
  std::optional<cli::AttainmentFloorOption> floor;
  double target = 0.99, max_items = limits::default_max_items;
  int seeds = 1;
  bool needed = false, no_progress = false;
  app.add_option("scenario", scenario_path,
                 "Scenario JSON with demand (default: the embedded testbed)");
  // --allocators: the former name, an alias (the allocator is EPARA's parallelism allocator).
  app.add_option("--strategies,--allocators", strategies,
                 "Comma-separated strategies to compare: epara, uncategorized, nexus, alpaserve, "
                 "offload (--allocators: an alias)");
  app.add_option("--seed", seed, "Random seed (default: the scenario's, else 1)");
  app.add_option("--seeds", seeds,
                 "Run every figure with this many seeds (--seed, --seed + 1, ...) and report "
                 "means with 95% confidence intervals")
      ->check(CLI::Range(1, 1000));
  app.add_option("--duration", duration, "Simulated seconds of arrivals")->check(cli::seconds);
  app.add_option("--warmup", warmup, "Seconds not measured at the start")
      ->check(cli::seconds_or_zero);
  app.add_option("--load", load, "Multiply every demand by this")->check(cli::load_factor);
  app.add_option("--burstiness", burstiness,
                 "Gamma inter-arrivals with this coefficient of variation (1: Poisson)")
      ->check(cli::number_in(limits::min_burstiness, limits::max_burstiness));
  app.add_option("--scale", scale, "Scale every edge server's GPU count by this first")
      ->check(cli::number_in(0.0, limits::max_cluster_scale, true));
  app.add_option("--max-items", max_items,
                 "Refuse a run that could offer more items than this (every demand at its peak "
                 "for the whole duration): a mistyped rate fails at once")
      ->check(cli::number_in(1.0, 1e12));
  cli::add_weighting_option(app, weighting, "the scenario's, else items");
  cli::add_serve_every_service_option(app, serve_every_service, "the scenario's, else true");
  cli::add_spare_replicas_option(app, spare_replicas, "the scenario's, else true");
  cli::add_attainment_floor_option(app, floor, "the scenario's, else 0");
  app.add_flag("--gpus-needed", needed, "Search the smallest scaled cluster reaching --target");
  app.add_option("--target", target, "SLO attainment target of --gpus-needed")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--sweep", sweep, "Comma-separated load factors: run every strategy at each");
  // As in the other programs, --json alone prints JSON; given a file, it writes it there.
  CLI::Option* json_option =
      app.add_option("--json", json_path,
                     "Print the results as JSON instead of the tables, or write them to this file "
                     "(-: standard output)")
          ->expected(0, 1);
  CLI::Option* csv_option =
      app.add_option("--csv", csv_path,
                     "Print one CSV row per (strategy, load, seed) instead of the tables, or "
                     "write them to this file (-: standard output)")
          ->expected(0, 1);
  app.add_flag("--no-progress", no_progress, "No progress bar");
  CLI11_PARSE(app, argc, argv);
  if (json_option->count() > 0 && json_path.empty()) json_path = "-";
  if (csv_option->count() > 0 && csv_path.empty()) csv_path = "-";

  return cli::run_reporting_errors("epara-sim", [&] {
    const std::string text = scenario_path.empty() ? std::string(cli::embedded_testbed_json())
                                                   : io::read_text_file(scenario_path);
    const std::string source =
        scenario_path.empty() ? std::string(cli::embedded_testbed_name) : scenario_path;
    const Scenario parsed = io::parse_scenario(text, source);
    const Scenario scenario = scale ? scale_cluster(parsed, *scale) : parsed;
    cli::print_scenario_warnings("epara-sim", source, scenario);
    const auto base_dir = scenario_path.empty()
                              ? std::filesystem::path(".")
                              : std::filesystem::path(scenario_path).parent_path();
    SimulationConfig config = sim::parse_simulation_config(text, source, parsed, base_dir);
    if (seed) config.seed = *seed;
    if (duration) config.duration = from_seconds(*duration);
    if (warmup) config.warmup = from_seconds(*warmup);
    if (load) config.load_scale = *load;
    config.max_items = max_items;
    if (weighting) config.weighting = *parse_weighting(*weighting);
    if (serve_every_service) config.serve_every_service = *serve_every_service;
    if (spare_replicas) config.spare_replicas = *spare_replicas;
    if (floor) {
      config.choose_attainment_floor = floor->choose;
      config.attainment_floor = floor->share;
    }
    // A device fault of a GPU the scaled cluster lacks has nothing to fail.
    if (scale) config.faults = faults_within(scenario, std::move(config.faults));
    if (burstiness) {
      config.arrivals = ArrivalProcess::Gamma;
      config.burstiness = *burstiness;
    }
    if (config.warmup >= config.duration)
      throw InvalidArgument("the warm-up must be shorter than the duration");
    std::vector<TraceRow> trace;
    if (config.trace) trace = load_azure_trace(config.trace->file);

    const StrategyRegistry registry = StrategyRegistry::with_builtins();
    const std::vector<std::string> names = split(strategies);
    if (names.empty())
      throw InvalidArgument(
          fmt::format("--strategies: none given (known: {})", fmt::join(registry.names(), ", ")));
    for (const std::string& n : names) (void)registry.make(n);  // unknown names fail early
    std::vector<double> loads{config.load_scale};
    if (!sweep.empty()) {
      loads.clear();
      for (const std::string& x : split(sweep)) {
        double v = 0;
        try {
          v = std::stod(x);
        } catch (const std::exception&) {
          throw InvalidArgument(fmt::format("--sweep: '{}' is not a number", x));
        }
        if (!(v >= limits::min_load_factor && v <= limits::max_load_factor))
          throw InvalidArgument(fmt::format("--sweep: {} must be in [{}, {}]", x,
                                            limits::min_load_factor, limits::max_load_factor));
        loads.push_back(v);
      }
    }
    std::vector<Row> rows;
    std::vector<LoadBound> bounds;
    {
      // cleared at the block's end
      Progress progress(!no_progress,
                        names.size() * loads.size() * static_cast<std::size_t>(seeds));
      for (double l : loads) {
        SimulationConfig at = config;
        at.load_scale = l;
        progress.show(fmt::format("the LP bound at load x{}", l), 0.0);
        bounds.push_back({l, goodput_bound(scenario, at, trace), std::nullopt});
        if (needed) bounds.back().needed = gpus_lower_bound(scenario, at, target, trace);
        for (const std::string& n : names) {
          Row row{n, l, {}, {}, std::nullopt, 0.0};
          SimulationConfig c = config;
          c.load_scale = l;
          for (int k = 0; k < seeds; ++k) {
            c.seed = config.seed + static_cast<std::uint64_t>(k);
            const std::string what = fmt::format("{} at load x{}, seed {}", n, l, c.seed);
            c.on_progress = [&](double f) { progress.show(what, needed ? f / 2 : f); };
            progress.show(what, 0.0);
            const auto start = std::chrono::steady_clock::now();
            auto strategy = registry.make(n);
            row.runs.push_back(simulate(scenario, c, *strategy, trace));
            row.seeds.push_back(c.seed);
            row.wall_s +=  // the runs alone: events/s
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (!row.runs.back().balanced())
              throw Error(
                  fmt::format("{}: accounting mismatch — an offered item has no outcome", n));
            progress.finished();
          }
          if (needed) {
            c.seed = config.seed;
            c.on_progress = [&](double) { progress.show(n + ": GPUs needed", 0.75); };
            row.needed = gpus_needed(
                scenario, c, [&] { return registry.make(n); }, target, trace, seeds);
          }
          rows.push_back(std::move(row));
        }
      }
    }
    const auto emit = [](const std::string& path, const std::string& content) {
      if (path == "-")
        fmt::print("{}", content);
      else
        cli::write_text_file(path, content);
    };
    if (json_path == "-" || csv_path == "-") {
      // machine-readable output alone on standard output
    } else if (loads.size() == 1) {
      print_table(rows, bounds.front(), scenario, source, config, needed);
    } else {
      fmt::print("Goodput (items/s within SLO) by load factor\n{:<14}", "strategy");
      for (double l : loads) fmt::print(" {:>10}", fmt::format("x{}", l));
      fmt::print("\n{:<14}", "bound (LP)");
      for (const LoadBound& b : bounds) fmt::print(" {:>10.1f}", b.bound.goodput);
      fmt::print("\n");
      for (const std::string& n : names) {
        fmt::print("{:<14}", n);
        for (const Row& r : rows)
          if (r.strategy == n)
            fmt::print(" {:>10}",
                       number(r.over_seeds([](const RunMetrics& m) { return m.goodput(); }),
                              r.runs.size() > 1, 1));
        fmt::print("\n");
      }
    }
    if (!json_path.empty()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const Row& r : rows)
        for (std::size_t run = 0; run < r.runs.size(); ++run)
          out.push_back(row_json(r, run, bound_at(bounds, r.load), scenario));
      emit(json_path, out.dump(2) + "\n");
    }
    if (!csv_path.empty()) emit(csv_path, csv(rows, bounds, scenario, source, config));
    return 0;
  });
}
