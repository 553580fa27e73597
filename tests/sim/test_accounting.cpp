// Every offered item ends in exactly one outcome, whatever the strategy, workload or failure.

#include <random>

#include "epara/io/scenario_json.hpp"
#include "sim/micro_scenario.hpp"
#include "support/random_scenario.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

void check_accounting(const RunMetrics& m) {
  CHECK(m.dropped_in_flight == 0);
  for (const ServiceMetrics& s : m.services) {
    INFO("service " << index_of(s.service));
    CHECK(s.offered == s.served + s.late + s.rejected_total());
    std::uint64_t by_hops = 0;  // every outcome is also counted by its hops
    for (auto h : s.hops) by_hops += h;
    CHECK(by_hops == s.offered);
  }
  CHECK(m.balanced());
}

}  // namespace

TEST_CASE("Accounting is exact under faults, sync loss and delay, bursts and load steps", "[sim]") {
  const Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  const auto edge = [&](std::string_view name) {
    for (std::size_t v = 0; v < s.cluster.servers.size(); ++v)
      if (s.cluster.servers[v].name == name) return id_at<ServerId>(v);
    FAIL("no server " << name);
    return ServerId{};
  };
  const auto registry = StrategyRegistry::with_builtins();
  SimulationConfig c;
  c.duration = seconds(20);
  c.warmup = seconds(2);
  c.placement_period = seconds(6);
  c.arrivals = ArrivalProcess::Gamma;
  c.burstiness = 3.0;
  c.load_scale = 2.0;
  c.load_profile = {{seconds(8), 3.0}, {seconds(14), 0.5}};
  c.sync_loss = 0.3;
  c.sync_delay = milliseconds(40);
  c.faults = {{seconds(5), FaultKind::ServerDown, edge("edge-1"), 0},
              {seconds(9), FaultKind::DeviceDown, edge("edge-2"), 1},
              {seconds(11), FaultKind::ServerUp, edge("edge-1"), 0},
              {seconds(15), FaultKind::DeviceUp, edge("edge-2"), 1},
              {seconds(16), FaultKind::ServerDown, edge("board-1"), 0}};
  for (const std::string& name : registry.names()) {
    INFO(name);
    const RunMetrics m = simulate(s, c, *registry.make(name));
    CHECK(m.offered() > 10'000);
    CHECK(m.served() > 0);
    check_accounting(m);
    std::uint64_t failed = 0;
    for (const auto& sm : m.services)
      failed += sm.rejected[static_cast<std::size_t>(RejectReason::ServerFailed)];
    CHECK(failed > 0);  // the failures did hit requests
  }
}

TEST_CASE("Accounting is exact on random scenarios, for every strategy", "[sim][property]") {
  const auto registry = StrategyRegistry::with_builtins();
  std::mt19937_64 rng(2024);
  int ran = 0;
  for (int trial = 0; trial < 16; ++trial) {
    const Scenario s = testing::random_scenario(rng);  // valid by construction
    if (s.demand.empty()) continue;
    SimulationConfig c;
    c.duration = seconds(4);
    c.warmup = seconds(1);
    c.placement_period = seconds(2);
    c.seed = static_cast<std::uint64_t>(trial);
    c.sync_loss = 0.2;
    c.faults = {{seconds(3), FaultKind::ServerDown, id_at<ServerId>(0), 0}};
    for (const std::string& name : registry.names()) {
      INFO("trial " << trial << ", " << name << ": " << s.description);
      check_accounting(simulate(s, c, *registry.make(name)));
    }
    ++ran;
  }
  CHECK(ran >= 8);
}
