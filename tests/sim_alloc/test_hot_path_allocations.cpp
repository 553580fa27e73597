// The simulator's hot path — a request's arrival, routing, queueing, pass and outcome —
// allocates nothing once its pools have grown (docs/simulator.md): a run twice as long makes
// no more allocations per request. Placement and ring sync, which allocate per period (a new
// placement; each server's new digest, shared with the messages in flight), run only at the
// start here.
// Its own executable: it replaces the global operator new (support/replaced_new) to count.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulator.hpp"
#include "support/replaced_new.hpp"

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

}  // namespace

// Called by every operator new (support/replaced_new.cpp).
bool allocation_fails() noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return false;
}

using namespace epara;
using namespace epara::sim;
using namespace std::chrono_literals;

namespace {

struct Counted {
  long allocations = 0;
  std::uint64_t events = 0;
};

Counted run_counted(const Scenario& scenario, SimulationConfig config, std::string_view name) {
  const auto strategy = StrategyRegistry::with_builtins().make(name);
  allocations = 0;
  counting = true;
  const RunMetrics m = simulate(scenario, config, *strategy, {});
  counting = false;
  REQUIRE(m.balanced());
  return {allocations.load(), m.events};
}

}  // namespace

TEST_CASE("the simulator's hot path allocates nothing: twice the run, no more allocations",
          "[sim]") {
  const Scenario scenario = io::load_scenario(EPARA_TESTBED_JSON);
  SimulationConfig config;
  config.load_scale = 1;
  config.warmup = 0s;
  config.placement_period = 1000s;  // placed once, at the start
  config.sync_period = 1000s;       // one digest a server, at the start
  for (const char* name : {"epara", "uncategorized", "nexus", "alpaserve", "offload"}) {
    INFO(name);
    config.duration = 60s;
    const Counted once = run_counted(scenario, config, name);
    config.duration = 120s;
    const Counted twice = run_counted(scenario, config, name);
    INFO("allocations: " << once.allocations << " in " << once.events << " events, then "
                         << twice.allocations << " in " << twice.events);
    REQUIRE(twice.events > once.events * 3 / 2);  // the second minute was as busy
    // Pools (the event heap, queues, per-request slots) grow geometrically: a few more
    // allocations as they double, never one per event.
    CHECK(twice.allocations - once.allocations <= 16);
  }
}
