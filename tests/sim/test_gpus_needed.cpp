// GPUs needed: scaling the cluster, and the search for the smallest that reaches a target.

#include "epara/io/scenario_json.hpp"
#include "epara/sim/gpus_needed.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::seconds;

TEST_CASE("Scaling the cluster scales edge servers' GPUs and nothing else", "[sim]") {
  const Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  for (double factor : {0.1, 0.5, 1.0, 2.0, 3.0}) {
    INFO(factor);
    const Scenario scaled = scale_cluster(s, factor);
    for (std::size_t v = 0; v < s.cluster.servers.size(); ++v) {
      const ServerSpec& before = s.cluster.servers[v];
      const ServerSpec& after = scaled.cluster.servers[v];
      if (before.kind == ServerKind::EdgeServer) {
        const auto want =
            std::max<long>(1, std::lround(factor * static_cast<double>(before.gpus.size())));
        CHECK(static_cast<long>(after.gpus.size()) == want);
        for (DeviceClassId g : after.gpus) CHECK(g == before.gpus.front());
      } else {
        CHECK(after.gpus == before.gpus);
        CHECK(after.cpu == before.cpu);
      }
    }
    CHECK(scaled.demand.size() == s.demand.size());
  }
  CHECK_THROWS_WITH(scale_cluster(s, 0.0), Catch::Contains("factor must be > 0"));
}

TEST_CASE("GPUs needed brackets the target to within one server's GPUs", "[sim]") {
  Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  SimulationConfig c;
  c.duration = seconds(10);
  c.warmup = seconds(2);
  c.load_scale = 3.0;
  // A device fault on a slot only the larger clusters have: dropped where it does not apply.
  c.faults = {{seconds(9), FaultKind::DeviceDown, id_at<ServerId>(0), 3}};
  const auto registry = StrategyRegistry::with_builtins();
  const auto make = [&] { return registry.make("epara"); };
  const GpusNeeded needed = gpus_needed(s, c, make, 0.95, {});
  REQUIRE(needed.reached);
  CHECK(needed.attainment >= 0.95);
  CHECK(needed.gpus == static_cast<int>(scale_cluster(s, needed.factor).cluster.gpu_count()));
  std::size_t largest = 0;
  for (const ServerSpec& server : s.cluster.servers)
    largest = std::max(largest, server.gpus.size());
  REQUIRE(needed.gpus_below > 0);
  CHECK(needed.gpus - needed.gpus_below <= static_cast<int>(largest));
  // The cluster just below falls short (its run repeated here by hand).
  double f = needed.factor;
  while (static_cast<int>(scale_cluster(s, f).cluster.gpu_count()) > needed.gpus_below) f *= 0.999;
  const Scenario below = scale_cluster(s, f);
  SimulationConfig same = c;
  if (below.cluster.servers[0].gpus.size() <= 3) same.faults.clear();  // no slot 3 to fail
  CHECK(simulate(below, same, *make()).attainment() < 0.95);

  const GpusNeeded impossible = search_gpus(
      s, [](const Scenario&) { return 0.5; }, 0.95, 1, 4.0);
  CHECK_FALSE(impossible.reached);
  CHECK(impossible.attainment == 0.5);
  CHECK(impossible.evaluations == 3);  // factors 1, 2 and 4
  const GpusNeeded trivial = search_gpus(
      s, [](const Scenario&) { return 1.0; }, 0.95, 1);
  CHECK(trivial.reached);
  CHECK(trivial.gpus_below == 0);  // even one GPU per edge server reaches it
  CHECK(trivial.gpus == static_cast<int>(scale_cluster(s, 1e-9).cluster.gpu_count()));
}
