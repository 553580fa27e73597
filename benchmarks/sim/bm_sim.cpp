// Simulator speed: the event queue alone, and whole runs in simulated events per second of
// wall time (one core). Target: >= 2 million events/s on the shipped scenarios.

#include <random>

#include <benchmark/benchmark.h>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulation_json.hpp"
#include "epara/sim/simulator.hpp"
#include "sim/event_queue.hpp"

namespace {

using namespace epara;

// A heap holding `range(0)` events, each pop followed by a push a random time later: the
// steady state of a run.
void BM_EventQueue(benchmark::State& state) {
  sim::detail::EventQueue q;
  std::mt19937_64 rng(1);
  Time now{};
  for (std::int64_t i = 0; i < state.range(0); ++i)
    q.push(now + Duration{static_cast<std::int64_t>(rng() % 1'000'000)},
           sim::detail::EventKind::Arrival, 0, 0);
  for (auto _ : state) {
    const sim::detail::Event e = q.pop();
    now = e.at;
    q.push(now + Duration{static_cast<std::int64_t>(rng() % 1'000'000)}, e.kind, e.a, e.b);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueue)->Arg(1 << 10)->Arg(1 << 16);

struct Loaded {
  Scenario scenario;
  sim::SimulationConfig config;
};

Loaded load(const std::string& name) {
  const std::string path = std::string(EPARA_SCENARIOS_DIR) + "/" + name + ".json";
  Loaded l{io::load_scenario(path), {}};
  l.config =
      sim::parse_simulation_config(io::read_text_file(path), path, l.scenario, EPARA_SCENARIOS_DIR);
  return l;
}

// One whole run of a shipped scenario (its own simulation section, shortened to `seconds`).
void simulate_scenario(benchmark::State& state, const std::string& scenario,
                       const std::string& strategy, double seconds) {
  const Loaded l = load(scenario);
  sim::SimulationConfig c = l.config;
  c.duration = from_seconds(seconds);
  c.warmup = std::min(c.warmup, c.duration / 2);
  std::vector<sim::TraceRow> trace;
  if (c.trace) trace = sim::load_azure_trace(c.trace->file);
  const auto registry = sim::StrategyRegistry::with_builtins();
  std::uint64_t events = 0;
  for (auto _ : state) {
    auto s = registry.make(strategy);
    const sim::RunMetrics m = sim::simulate(l.scenario, c, *s, trace);
    events += m.events;
    benchmark::DoNotOptimize(m.served());
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(simulate_scenario, testbed_epara, "testbed", "epara", 60)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_scenario, testbed_nexus, "testbed", "nexus", 60)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_scenario, video_epara, "video", "epara", 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_scenario, llm_trace_epara, "llm-trace", "epara", 120)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_scenario, large_epara, "large", "epara", 40)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulate_scenario, large_nexus, "large", "nexus", 40)
    ->Unit(benchmark::kMillisecond);

}  // namespace
