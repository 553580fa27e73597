// How the simulator's EPARA runs the replicas it places: a replica with devices of its own is
// work-conserving (a lone request runs at once), whatever batch timeout its plan was sized with.

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
