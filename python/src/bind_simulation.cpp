// The simulator: run a scenario under chosen allocators; results as plain dicts.

#include <pybind11/stl.h>

#include <optional>

#include "epara/io/metrics_json.hpp"
#include "epara/io/simulation_json.hpp"
#include "epara/sim/gpus_needed.hpp"
#include "epara/sim/simulator.hpp"
#include "epara/sim/trace.hpp"
#include "py_scenario.hpp"
#include "py_strategy.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

// A built-in allocator by name, or a Python strategy object.
struct Entry {
  std::string name;
  py::object strategy;  // None for a built-in
};

py::list simulate_all(const PyScenario& s, std::optional<py::list> allocators,
                      std::optional<double> duration_s, std::optional<double> warmup_s,
                      std::optional<std::uint64_t> seed, std::optional<double> load, int seeds,
                      std::optional<double> burstiness, std::optional<double> scale) {
  // The same overrides, in the same order, as epara-sim's options.
  EPARA_EXPECTS(seeds >= 1, "simulate: seeds must be >= 1");
  EPARA_EXPECTS(!load || *load > 0.0, "simulate: load must be > 0");
  EPARA_EXPECTS(!burstiness || *burstiness > 0.0, "simulate: burstiness must be > 0");
  EPARA_EXPECTS(!scale || *scale > 0.0, "simulate: scale must be > 0");
  EPARA_EXPECTS(!allocators || !allocators->empty(),
                "simulate: allocators is empty (None runs every built-in)");
  const Scenario scenario = scale ? sim::scale_cluster(s.scenario, *scale) : s.scenario;
  sim::SimulationConfig config =
      io::parse_simulation_config(s.text, s.source, s.scenario, s.base_dir);
  if (duration_s) config.duration = from_seconds(*duration_s);
  if (warmup_s) config.warmup = from_seconds(*warmup_s);
  if (seed) config.seed = *seed;
  if (load) config.load_scale = *load;
  if (scale) config.faults = sim::faults_within(scenario, std::move(config.faults));
  if (burstiness) {
    config.arrivals = sim::ArrivalProcess::Gamma;
    config.burstiness = *burstiness;
  }
  EPARA_EXPECTS(config.warmup < config.duration, "the warm-up must be shorter than the duration");
  const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
  std::vector<Entry> entries;
  if (!allocators) {
    for (const std::string& n : registry.names()) entries.push_back({n, py::none()});
  } else {
    for (const py::handle a : *allocators) {
      if (py::isinstance<py::str>(a)) {
        const auto n = a.cast<std::string>();
        (void)registry.make(n);  // unknown names fail before anything runs
        entries.push_back({n, py::none()});
      } else {
        entries.push_back({std::string(PyStrategy(py::reinterpret_borrow<py::object>(a)).name()),
                           py::reinterpret_borrow<py::object>(a)});
      }
    }
  }
  std::vector<sim::TraceRow> trace;
  if (config.trace) trace = sim::load_azure_trace(config.trace->file);
  py::list out;
  for (const Entry& e : entries) {
    const std::string& n = e.name;
    for (int k = 0; k < seeds; ++k) {  // seeds in a row, as epara-sim --seeds
      sim::SimulationConfig c = config;
      c.seed = config.seed + static_cast<std::uint64_t>(k);
      std::unique_ptr<sim::Strategy> strategy =
          e.strategy.is_none() ? registry.make(n) : std::make_unique<PyStrategy>(e.strategy);
      std::string metrics;
      {
        py::gil_scoped_release unlocked;  // pure C++ from here: other Python threads may run
        metrics = io::run_metrics_to_json(sim::simulate(scenario, c, *strategy, trace), scenario);
      }
      py::dict row;
      row["allocator"] = n;
      row["load_scale"] = c.load_scale;
      row["seed"] = c.seed;
      row["burstiness"] = c.arrivals == sim::ArrivalProcess::Gamma ? c.burstiness : 1.0;
      row["gpus"] = scenario.cluster.gpu_count();
      row.attr("update")(from_json(metrics));
      out.append(std::move(row));
    }
  }
  return out;
}

}  // namespace

void bind_simulation(py::module_& m) {
  m.def(
      "allocators",
      [] {
        const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
        std::vector<std::pair<std::string, std::string>> out;
        for (const std::string& n : registry.names()) out.emplace_back(n, registry.description(n));
        return out;
      },
      "The built-in allocators the simulator compares: (name, description) pairs.");
  m.def("simulate", &simulate_all, py::arg("scenario"), py::arg("allocators") = py::none(),
        py::arg("duration_s") = py::none(), py::arg("warmup_s") = py::none(),
        py::arg("seed") = py::none(), py::arg("load") = py::none(), py::arg("seeds") = 1,
        py::arg("burstiness") = py::none(), py::arg("scale") = py::none(),
        "Simulates the scenario (its `simulation` section, overridden by the arguments, as "
        "epara-sim's options are) under each allocator on the same arrivals "
        "(docs/simulator.md): `seeds` runs seed, seed + 1, ...; `burstiness` makes arrivals "
        "Gamma with that coefficient of variation; `scale` multiplies every edge server's "
        "GPUs first. One dict per allocator and seed: "
        "goodput_per_s, attainment, worst_service and worst_attainment, fairness (Jain's index "
        "over per-service attainment), offered/served/late/rejected, utilization, and "
        "per-service rows (attainment, rejections by reason, p50/p95/p99 latency, hops) — "
        "ready for pandas.DataFrame.");
}

}  // namespace epara::python
