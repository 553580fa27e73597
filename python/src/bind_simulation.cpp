// The simulator: run a scenario under chosen allocators; results as plain dicts.

#include <pybind11/stl.h>

#include <optional>

#include "epara/io/metrics_json.hpp"
#include "epara/io/simulation_json.hpp"
#include "epara/sim/simulator.hpp"
#include "epara/sim/trace.hpp"
#include "py_scenario.hpp"

namespace py = pybind11;

namespace epara::python {
namespace {

py::list simulate_all(const PyScenario& s, std::optional<std::vector<std::string>> allocators,
                      std::optional<double> duration_s, std::optional<double> warmup_s,
                      std::optional<std::uint64_t> seed, std::optional<double> load) {
  sim::SimulationConfig config =
      io::parse_simulation_config(s.text, s.source, s.scenario, s.base_dir);
  if (duration_s) config.duration = from_seconds(*duration_s);
  if (warmup_s) config.warmup = from_seconds(*warmup_s);
  if (seed) config.seed = *seed;
  if (load) config.load_scale = *load;
  EPARA_EXPECTS(config.warmup < config.duration, "the warm-up must be shorter than the duration");
  const sim::StrategyRegistry registry = sim::StrategyRegistry::with_builtins();
  const std::vector<std::string> names = allocators.value_or(registry.names());
  for (const std::string& n : names) (void)registry.make(n);  // unknown names fail first
  std::vector<sim::TraceRow> trace;
  if (config.trace) trace = sim::load_azure_trace(config.trace->file);
  py::list out;
  for (const std::string& n : names) {
    auto strategy = registry.make(n);
    std::string metrics;
    {
      py::gil_scoped_release unlocked;  // pure C++ from here: other Python threads may run
      metrics =
          io::run_metrics_to_json(sim::simulate(s.scenario, config, *strategy, trace), s.scenario);
    }
    py::dict row;
    row["allocator"] = n;
    row["load_scale"] = config.load_scale;
    row.attr("update")(from_json(metrics));
    out.append(std::move(row));
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
        py::arg("seed") = py::none(), py::arg("load") = py::none(),
        "Simulates the scenario (its `simulation` section, overridden by the arguments) under "
        "each allocator on the same arrivals (docs/simulator.md). One dict per allocator: "
        "goodput_per_s, attainment, worst_service and worst_attainment, fairness (Jain's index "
        "over per-service attainment), offered/served/late/rejected, utilization, and "
        "per-service rows (attainment, rejections by reason, p50/p95/p99 latency, hops) — "
        "ready for pandas.DataFrame.");
}

}  // namespace epara::python
