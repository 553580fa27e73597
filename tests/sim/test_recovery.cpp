// Recovery from failures: re-placement once a failure is known, and streams served again.

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulation_json.hpp"
#include "epara/sim/simulator.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;

namespace {

// Five 30 fps detection streams at `origin` (one L4), served first by the A100 of `big`, which
// fails at 3 s for good. The L4 alone serves them (batch 8 in 30 ms: 267 frames/s).
constexpr const char* origin_and_failing_big = R"({
  "device_classes": [
    {"name": "a100", "kind": "gpu", "memory_gib": 40, "relative_speed": 1.0},
    {"name": "l4", "kind": "gpu", "memory_gib": 24, "relative_speed": 0.4}],
  "servers": [
    {"name": "origin", "kind": "edge_server", "gpus": [{"device_class": "l4", "count": 1}]},
    {"name": "big", "kind": "edge_server", "gpus": [{"device_class": "a100", "count": 1}]}],
  "network": {"links": [{"between": ["origin", "big"], "latency_ms": 5, "bandwidth_gbps": 1}]},
  "profiles": [{"name": "det", "source": "test", "curves": [{"device_class": "a100", "gpus": 1,
    "points": [{"batch": 1, "latency_ms": 4}, {"batch": 8, "latency_ms": 12}]}]}],
  "services": [{"name": "detect", "profile": "det", "model_memory_gib": 2, "input_kib": 50,
                "slo": {"type": "frequency", "rate_per_s": 30, "deadline_ms": 100}}],
  "demand": [{"service": "detect", "origin": "origin", "streams": 5}],
  "simulation": {"duration_s": 15, "warmup_s": 7,
                 "faults": [{"at_s": 3, "kind": "server_down", "server": "big"}]}
})";

}  // namespace

TEST_CASE("Streams orphaned by a failure are served again once capacity is placed for them",
          "[sim]") {
  const Scenario s = io::parse_scenario(origin_and_failing_big, "two-servers.json");
  const SimulationConfig c =
      sim::parse_simulation_config(origin_and_failing_big, "two-servers.json", s, ".");
  const RunMetrics m = simulate(s, c, *StrategyRegistry::with_builtins().make("epara"));
  // Measured from 7 s: the failure was known at 3.5 s and the L4's instance loaded (2 GiB at
  // 2 GB/s plus 1 s) well before.
  CHECK(m.services[0].offered == 5 * 30 * 8);
  CHECK(m.attainment() >= 0.99);
  CHECK(m.placements == 1);  // the re-placement on the failure, not a period's (30 s)

  SimulationConfig later = c;  // detection slower than the run: nothing is re-placed in time
  later.failure_detection = std::chrono::seconds(60);
  const RunMetrics stale = simulate(s, later, *StrategyRegistry::with_builtins().make("epara"));
  CHECK(stale.attainment() == 0.0);
}

TEST_CASE("A stream whose origin is down loses its frames there, and is served again once it is up",
          "[sim]") {
  const Scenario s = io::parse_scenario(origin_and_failing_big, "two-servers.json");
  SimulationConfig c =
      sim::parse_simulation_config(origin_and_failing_big, "two-servers.json", s, ".");
  const ServerId origin = id_at<ServerId>(0);
  // The origin down over [8 s, 11 s) of the window [7 s, 15 s); the big server up throughout.
  c.faults = {{std::chrono::seconds(8), FaultKind::ServerDown, origin},
              {std::chrono::seconds(11), FaultKind::ServerUp, origin}};
  const RunMetrics m = simulate(s, c, *StrategyRegistry::with_builtins().make("epara"));
  const ServiceMetrics& sm = m.services[0];
  CHECK(sm.offered == 5 * 30 * 8);
  // Every frame of the 3 s down: lost at the origin, though the A100 next door is up.
  CHECK(sm.rejected[static_cast<std::size_t>(RejectReason::ServerFailed)] == 5 * 30 * 3);
  // Before and after it, served (the A100 keeps its instance; the origin's frames follow it).
  CHECK(static_cast<double>(sm.served) >= 0.99 * 5 * 30 * 5);
}

TEST_CASE("Demand is measured where it arrives: a down origin counts none", "[sim]") {
  // FixedInstance on b, noting the measured demand at every re-placement (each 2 s); a is the
  // origin of 100 requests/s and is down over [4 s, 8 s).
  struct Recording : testing::FixedInstance {
    using FixedInstance::FixedInstance;
    std::vector<std::pair<double, double>> seen;  // (time s, requests/s measured at a)
    std::optional<std::vector<InstanceSpec>> replan(SimView& sim, Time now) override {
      double rate = 0.0;
      for (const Demand& d : sim.measured_demand(now))
        if (d.origin == testing::server_a) rate += d.rate.per_second;
      seen.emplace_back(to_seconds(now - Time{}), rate);
      return std::nullopt;
    }
  };
  Scenario s = testing::micro_scenario();
  s.demand = {{testing::service_s, testing::server_a, Rate{100}, 0}};
  SimulationConfig c;
  c.duration = std::chrono::seconds(12);
  c.warmup = std::chrono::seconds(1);
  c.placement_period = std::chrono::seconds(2);
  c.faults = {{std::chrono::seconds(4), FaultKind::ServerDown, testing::server_a},
              {std::chrono::seconds(8), FaultKind::ServerUp, testing::server_a}};
  Recording strategy(testing::server_b, 2, std::chrono::milliseconds(5));
  simulate(s, c, strategy);
  int up = 0, down = 0;
  for (const auto& [at, rate] : strategy.seen) {
    INFO("re-placement at " << at << " s measured " << rate << "/s at a");
    if (at > 4.0 && at <= 8.0) {  // the period before was all down
      CHECK(rate == 0.0);
      ++down;
    } else if (at <= 4.0 || at >= 10.0) {  // all up
      CHECK(rate == Approx(100.0).epsilon(0.35));
      ++up;
    }
  }
  CHECK(down == 2);
  CHECK(up >= 3);
}
