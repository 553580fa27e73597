// How the simulator's EPARA runs the replicas it places: a replica with devices of its own is
// work-conserving (a lone request runs at once), whatever batch timeout its plan was sized with;
// and how requests reach them: offloads between two syncs reserve an item's work each.

#include "epara/parallel/allocator.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;

namespace {

// Batches are cheap (10 ms alone, 12 ms for four), and the declared 150 requests/s at server a
// cannot be carried one at a time (150% busy), so the plan batches and gives its replica a
// timeout to gather the batch in.
Scenario batching_scenario() {
  return testing::micro_scenario(
      R"([{"batch": 1, "latency_ms": 10}, {"batch": 4, "latency_ms": 12}])", 50,
      R"([{"service": "s", "origin": "a", "rate_per_s": 150}])");
}

}  // namespace

TEST_CASE("EPARA's replicas on devices of their own do not wait for a batch to fill", "[sim]") {
  const Scenario s = batching_scenario();
  const Allocation sized =  // what the replica is sized with
      allocate_service(Allocator<>{}, s, testing::service_s, Load{Rate{150.0}, 0}).allocation;
  REQUIRE(sized.feasible());
  REQUIRE(sized.plan.max_batch > 1);
  REQUIRE(sized.plan.batch_timeout > std::chrono::milliseconds(5));

  // Requests 100 ms apart: each finds its replica idle and alone in the queue. Waiting for the
  // plan's timeout would add it to every latency; work-conserving, a request takes its own pass
  // (10 ms), plus one hop (2 ms + 1 KiB) where the replica is on the other server.
  std::vector<double> arrivals;
  for (int i = 0; i < 9; ++i) arrivals.push_back(50.0 + 100.0 * i);
  const auto registry = StrategyRegistry::with_builtins();
  const RunMetrics m =
      testing::run_arrivals(s, *registry.make("epara"), arrivals, testing::server_a);
  const ServiceMetrics& served = m.services.front();
  REQUIRE(served.served == arrivals.size());
  CHECK(testing::mean_latency_ms(served) < 12.5);
}

TEST_CASE("EPARA offloads a burst to a batching peer without counting whole passes per item",
          "[sim]") {
  // Only b can hold the model (a's device is too small), so every request entering at a is
  // offloaded, 30 or so between two rebuilds of a's view. An item joins b's batches (2 ms
  // alone, 8 ms for 32): it adds a fraction of a millisecond to b's queue. Reserving the whole
  // pass it joins for each would make a's view call b full after a few items a period and
  // refuse the rest (63% were refused before the reservation was an item's work).
  const Scenario s = io::parse_scenario(R"({
    "device_classes": [{"name": "tiny", "kind": "gpu", "memory_gib": 0.5, "relative_speed": 1},
                       {"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
    "servers": [
      {"name": "a", "kind": "edge_server", "gpus": [{"device_class": "tiny", "count": 1}]},
      {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]}],
    "network": {"links": [{"between": ["a", "b"], "latency_ms": 2, "bandwidth_gbps": 8}]},
    "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
      "points": [{"batch": 1, "latency_ms": 2}, {"batch": 32, "latency_ms": 8}]}]}],
    "services": [{"name": "s", "profile": "p", "model_memory_gib": 1, "input_kib": 1,
                  "slo": {"type": "latency", "deadline_ms": 25}}],
    "demand": [{"service": "s", "origin": "a", "rate_per_s": 600}]})",
                                        "offload.json");
  SimulationConfig c;
  c.duration = std::chrono::seconds(10);
  c.warmup = std::chrono::seconds(1);
  const auto registry = StrategyRegistry::with_builtins();
  const RunMetrics m = simulate(s, c, *registry.make("epara"));
  const ServiceMetrics& served = m.services.front();
  REQUIRE(served.offered > 4500);
  CHECK(served.rejected_total() < served.offered / 100);
  CHECK(static_cast<double>(served.served) / static_cast<double>(served.offered) > 0.98);
}
