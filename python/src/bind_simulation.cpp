// The simulator: run a scenario under chosen strategies; results as plain dicts.

#include <pybind11/stl.h>

#include <optional>

#include "epara/model/limits.hpp"
#include "epara/sim/bound.hpp"
#include "epara/sim/gpus_needed.hpp"
#include "epara/sim/metrics_json.hpp"
#include "epara/sim/simulation_json.hpp"
#include "epara/sim/simulator.hpp"
#include "epara/sim/trace.hpp"
#include "py_scenario.hpp"
#include "py_strategy.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

// What a run is set up from: the scenario's `simulation` section overridden as epara-sim's
// options override it, in the same order.
struct RunOptions {
  std::optional<double> duration_s, warmup_s;
  std::optional<std::uint64_t> seed;
  std::optional<double> load, burstiness, scale;
};

struct RunSetup {
  Scenario scenario;  // scaled when asked
  sim::SimulationConfig config;
  std::vector<sim::TraceRow> trace;
};

// Fails naming `name` unless the given value lies in [min, max] (in (0, max] when min is 0).
void expect_in(const char* name, const std::optional<double>& value, double min, double max) {
  if (!value) return;
  const bool inside = (min == 0.0 ? *value > 0.0 : *value >= min) && *value <= max;
  EPARA_EXPECTS(inside, fmt::format("{} must be in {}{}, {}] (got {})", name,
                                    min == 0.0 ? "(" : "[", min, max, *value));
}

RunSetup set_up(const PyScenario& s, const RunOptions& o) {
  // The ranges of the scenario format (docs/scenario-format.md, "Ranges").
  expect_in("load", o.load, limits::min_load_factor, limits::max_load_factor);
  expect_in("burstiness", o.burstiness, limits::min_burstiness, limits::max_burstiness);
  expect_in("scale", o.scale, 0.0, limits::max_cluster_scale);
  expect_in("duration_s", o.duration_s, 0.0, limits::max_seconds);
  EPARA_EXPECTS(!o.warmup_s || (*o.warmup_s >= 0.0 && *o.warmup_s <= limits::max_seconds),
                fmt::format("warmup_s must be in [0, {}]", limits::max_seconds));
  RunSetup r{o.scale ? sim::scale_cluster(s.scenario, *o.scale) : s.scenario,
             sim::parse_simulation_config(s.text, s.source, s.scenario, s.base_dir),
             {}};
  sim::SimulationConfig& config = r.config;
  if (o.duration_s) config.duration = from_seconds(*o.duration_s);
  if (o.warmup_s) config.warmup = from_seconds(*o.warmup_s);
  if (o.seed) config.seed = *o.seed;
  if (o.load) config.load_scale = *o.load;
  if (o.scale) config.faults = sim::faults_within(r.scenario, std::move(config.faults));
  if (o.burstiness) {
    config.arrivals = sim::ArrivalProcess::Gamma;
    config.burstiness = *o.burstiness;
  }
  EPARA_EXPECTS(config.warmup < config.duration, "the warm-up must be shorter than the duration");
  if (config.trace) r.trace = sim::load_azure_trace(config.trace->file);
  return r;
}

// A built-in strategy by name, or a Python strategy object.
struct Entry {
  std::string name;
  py::object strategy;  // None for a built-in

  std::unique_ptr<sim::Strategy> make(const sim::StrategyRegistry& registry) const {
    if (strategy.is_none()) return registry.make(name);
    return std::make_unique<PyStrategy>(strategy);
  }
};

Entry entry_of(const py::handle& a, const sim::StrategyRegistry& registry) {
  if (py::isinstance<py::str>(a)) {
    const auto n = a.cast<std::string>();
    (void)registry.make(n);  // unknown names fail before anything runs
    return {n, py::none()};
  }
  const auto object = py::reinterpret_borrow<py::object>(a);
  return {std::string(PyStrategy(object).name()), object};
}

py::list simulate_all(const PyScenario& s, std::optional<py::list> strategies,
                      std::optional<double> duration_s, std::optional<double> warmup_s,
                      std::optional<std::uint64_t> seed, std::optional<double> load, int seeds,
                      std::optional<double> burstiness, std::optional<double> scale) {
  EPARA_EXPECTS(seeds >= 1, "simulate: seeds must be >= 1");
  EPARA_EXPECTS(!strategies || !strategies->empty(),
                "simulate: strategies is empty (None runs every built-in)");
  const RunSetup run = set_up(s, {duration_s, warmup_s, seed, load, burstiness, scale});
  const Scenario& scenario = run.scenario;
  const sim::SimulationConfig& config = run.config;
  const std::vector<sim::TraceRow>& trace = run.trace;
  const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
  std::vector<Entry> entries;
  if (!strategies) {
    for (const std::string& n : registry.names()) entries.push_back({n, py::none()});
  } else {
    for (const py::handle a : *strategies) entries.push_back(entry_of(a, registry));
  }
  py::list out;
  for (const Entry& e : entries) {
    const std::string& n = e.name;
    for (int k = 0; k < seeds; ++k) {  // seeds in a row, as epara-sim --seeds
      sim::SimulationConfig c = config;
      c.seed = config.seed + static_cast<std::uint64_t>(k);
      std::unique_ptr<sim::Strategy> strategy = e.make(registry);
      std::string metrics;
      {
        py::gil_scoped_release unlocked;  // pure C++ from here: other Python threads may run
        metrics = sim::run_metrics_to_json(sim::simulate(scenario, c, *strategy, trace), scenario);
      }
      py::dict row;
      row["strategy"] = n;
      row["load_scale"] = c.load_scale;
      row["seed"] = c.seed;
      row["burstiness"] = c.arrivals == sim::ArrivalProcess::Gamma ? c.burstiness : 1.0;
      row["gpus"] = scenario.cluster.gpu_count();
      row["cpus"] = scenario.cluster.cpu_count();
      row.attr("update")(from_json(metrics));
      out.append(std::move(row));
    }
  }
  return out;
}

py::dict needed_dict(const sim::GpusNeeded& n) {
  py::dict d;
  d["reached"] = n.reached;
  d["gpus"] = n.reached ? py::cast(n.gpus) : py::none();
  d["gpus_below"] = n.gpus_below;
  d["factor"] = n.factor;
  d["attainment"] = n.attainment;
  d["evaluations"] = n.evaluations;
  return d;
}

// The LP bound of the run epara-sim prints as its `bound` rows; with a target, the fewest GPUs
// (scaled cluster) at which the bound reaches it.
py::dict bound_of(const PyScenario& s, std::optional<double> target, const RunOptions& o) {
  EPARA_EXPECTS(!target || (*target > 0.0 && *target <= 1.0), "bound: target must be in (0, 1]");
  const RunSetup run = set_up(s, o);
  py::dict d;
  sim::RunBound b;
  std::optional<sim::GpusNeeded> needed;
  {
    py::gil_scoped_release unlocked;
    b = sim::goodput_bound(run.scenario, run.config, run.trace);
    if (target) needed = sim::gpus_lower_bound(run.scenario, run.config, *target, run.trace);
  }
  d["offered_per_s"] = b.offered;
  d["goodput_per_s"] = b.goodput;
  d["attainment"] = b.attainment();
  d["fair_attainment"] = b.fair_attainment;
  d["fair_goodput_per_s"] = b.fair_goodput;
  py::dict alone;
  for (std::size_t i = 0; i < run.scenario.services.size(); ++i)
    if (b.offered_by_service[i] > 0)
      alone[py::str(run.scenario.services[i].name)] = b.alone[i] / b.offered_by_service[i];
  d["alone"] = alone;
  if (needed) d["gpus_needed"] = needed_dict(*needed);
  return d;
}

// epara-sim --gpus-needed for one strategy (a built-in name or a Python strategy).
py::dict gpus_needed_of(const PyScenario& s, const py::object& strategy, double target, int seeds,
                        const RunOptions& o) {
  EPARA_EXPECTS(target > 0.0 && target <= 1.0, "gpus_needed: target must be in (0, 1]");
  EPARA_EXPECTS(seeds >= 1, "gpus_needed: seeds must be >= 1");
  const RunSetup run = set_up(s, o);
  const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
  const Entry e = entry_of(strategy, registry);
  sim::GpusNeeded n;
  {
    py::gil_scoped_release unlocked;  // a Python strategy takes the GIL in its callbacks
    n = sim::gpus_needed(
        run.scenario, run.config, [&] { return e.make(registry); }, target, run.trace, seeds);
  }
  py::dict d = needed_dict(n);
  d["strategy"] = e.name;
  return d;
}

}  // namespace

void bind_simulation(py::module_& m) {
  m.def(
      "bound",
      [](const PyScenario& s, std::optional<double> target, std::optional<double> duration_s,
         std::optional<double> warmup_s, std::optional<double> load,
         std::optional<double> burstiness, std::optional<double> scale) {
        return bound_of(s, target, {duration_s, warmup_s, std::nullopt, load, burstiness, scale});
      },
      py::arg("scenario"), py::arg("target") = py::none(), py::arg("duration_s") = py::none(),
      py::arg("warmup_s") = py::none(), py::arg("load") = py::none(),
      py::arg("burstiness") = py::none(), py::arg("scale") = py::none(),
      "The fluid LP upper bound on goodput of the run simulate() would make (epara-sim's "
      "`bound` rows): offered_per_s, goodput_per_s, attainment, fair_attainment, "
      "fair_goodput_per_s, alone (per service, the share it could be served with the cluster "
      "to itself); with a target, gpus_needed: the fewest GPUs at which the bound reaches it "
      "(a lower bound on every strategy's).");
  m.def(
      "gpus_needed",
      [](const PyScenario& s, const py::object& strategy, double target, int seeds,
         std::optional<double> duration_s, std::optional<double> warmup_s,
         std::optional<std::uint64_t> seed, std::optional<double> load,
         std::optional<double> burstiness) {
        return gpus_needed_of(s, strategy, target, seeds,
                              {duration_s, warmup_s, seed, load, burstiness, std::nullopt});
      },
      py::arg("scenario"), py::arg("strategy"), py::arg("target") = 0.99, py::arg("seeds") = 1,
      py::arg("duration_s") = py::none(), py::arg("warmup_s") = py::none(),
      py::arg("seed") = py::none(), py::arg("load") = py::none(),
      py::arg("burstiness") = py::none(),
      "epara-sim --gpus-needed for one strategy (a built-in name or a Python strategy): the "
      "smallest uniformly scaled cluster whose attainment, averaged over `seeds`, reaches the "
      "target, by bisection to one server's GPUs: reached, gpus (None when not reached), "
      "gpus_below (the largest cluster found short of it), factor, attainment, evaluations.");
  m.def(
      "strategies",
      [] {
        const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
        std::vector<std::pair<std::string, std::string>> out;
        for (const std::string& n : registry.names()) out.emplace_back(n, registry.description(n));
        return out;
      },
      "The built-in strategies the simulator compares: (name, description) pairs.");
  m.def("simulate", &simulate_all, py::arg("scenario"), py::arg("strategies") = py::none(),
        py::arg("duration_s") = py::none(), py::arg("warmup_s") = py::none(),
        py::arg("seed") = py::none(), py::arg("load") = py::none(), py::arg("seeds") = 1,
        py::arg("burstiness") = py::none(), py::arg("scale") = py::none(),
        "Simulates the scenario (its `simulation` section, overridden by the arguments, as "
        "epara-sim's options are) under each strategy on the same arrivals "
        "(docs/simulator.md): `seeds` runs seed, seed + 1, ...; `burstiness` makes arrivals "
        "Gamma with that coefficient of variation; `scale` multiplies every edge server's "
        "GPUs first. One dict per strategy and seed: "
        "goodput_per_s, attainment, worst_service and worst_attainment, fairness (Jain's index "
        "over per-service attainment), offered/served/late/rejected, utilization, and "
        "per-service rows (attainment, rejections by reason, p50/p95/p99 latency, hops) — "
        "ready for pandas.DataFrame.");
}

}  // namespace epara::python
