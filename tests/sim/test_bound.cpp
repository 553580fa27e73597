// The bound on a run: no strategy's goodput exceeds it, its load-profile and trace handling, and
// the bisection for GPUs needed against a linear scan.

#include <random>

#include "epara/sim/bound.hpp"
#include "sim/micro_scenario.hpp"
#include "support/random_scenario.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::seconds;

namespace {

// What a run may serve beyond the expected-rate bound: items arriving near the window's end are
// served after it (up to the longest deadline later), and arrivals are random (four standard
// deviations of a Poisson count).
double allowance(const Scenario& s, const SimulationConfig& c, const RunBound& b) {
  const double window = to_seconds(c.duration - c.warmup);
  double longest = 0.0;
  for (const ServiceSpec& service : s.services)
    longest = std::max(longest, to_seconds(service.slo.deadline));
  return b.goodput * longest / window + 4.0 * std::sqrt(b.offered * window) / window + 1.0 / window;
}

}  // namespace

TEST_CASE("No strategy's goodput exceeds the bound, on random scenarios",
          "[sim][bound][property]") {
  const auto registry = StrategyRegistry::with_builtins();
  std::mt19937_64 rng(99), rng_faults(7);  // two: the scenarios stay those of seed 99
  std::uniform_int_distribution<std::size_t> pick;
  int ran = 0, binding = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const Scenario s = testing::random_scenario(rng);
    if (s.demand.empty()) continue;
    SimulationConfig c;
    c.duration = seconds(12);
    c.warmup = seconds(2);
    c.placement_period = seconds(4);
    c.seed = static_cast<std::uint64_t>(trial);
    if (trial % 2 == 1) {  // a server down for a while: the bound follows it
      const auto down = id_at<ServerId>(pick(rng_faults) % s.cluster.servers.size());
      c.faults = {{seconds(4), FaultKind::ServerDown, down}};
      if (trial % 4 == 1) c.faults.push_back({seconds(8), FaultKind::ServerUp, down});
    }
    const RunBound b = goodput_bound(s, c);
    REQUIRE(b.goodput <= b.offered * (1 + 1e-9));
    binding += b.goodput < 0.99 * b.offered ? 1 : 0;
    for (const std::string& name : registry.names()) {
      INFO("trial " << trial << ", " << name << ", " << c.faults.size()
                    << " faults: " << s.description);
      const RunMetrics m = simulate(s, c, *registry.make(name));
      CHECK(m.goodput() <= b.goodput + allowance(s, c, b));
    }
    ++ran;
  }
  CHECK(ran >= 12);
  CHECK(binding >= 3);  // the bound is below the offered load often enough to be tested
}

TEST_CASE("No strategy's goodput exceeds the bound on the testbed", "[sim][bound]") {
  const Scenario s = io::load_scenario(EPARA_TESTBED_JSON);
  const auto registry = StrategyRegistry::with_builtins();
  SimulationConfig c;
  c.duration = seconds(25);
  c.warmup = seconds(5);
  for (double load : {1.0, 4.0}) {
    c.load_scale = load;
    const RunBound b = goodput_bound(s, c);
    for (const std::string& name : registry.names()) {
      INFO(name << " at load x" << load);
      const RunMetrics m = simulate(s, c, *registry.make(name));
      CHECK(m.goodput() <= b.goodput + allowance(s, c, b));
    }
  }
}

TEST_CASE("The run bound weights each load step by its length and bins a trace by work",
          "[sim][bound]") {
  Scenario s = testing::micro_scenario();  // one GPU at a and at b: 133.3/s each at batch 2
  s.demand = {{testing::service_s, testing::server_a, Rate{100}, 0}};
  SimulationConfig c;
  c.duration = seconds(10);
  c.warmup = seconds(2);
  c.load_profile = {{seconds(6), 4.0}};  // 100/s for 4 s, then 400/s for 4 s
  const RunBound b = goodput_bound(s, c);
  CHECK(b.offered == Approx(250.0));
  CHECK(b.goodput == Approx((100.0 + 2 * 2 / 0.015) / 2));
  CHECK(b.alone.at(0) == Approx(b.goodput));

  // A trace at 2000 requests/s, alternately at 2/3 and 4/3 of the mean's work: a GPU-second
  // serves 200 light or 100 heavy requests at batch 2, so the two GPUs serve 400 light ones.
  SimulationConfig t;
  t.duration = seconds(3);
  t.warmup = seconds(1);
  t.trace = TraceReplay{"rows", testing::service_s, {testing::server_a}, 1.0, 0.0};
  std::vector<TraceRow> rows;
  for (int i = 0; i < 8000; ++i)
    rows.push_back({from_ms(0.5 * i), 0, i % 2 == 0 ? 200 : 400});  // mean cost 300
  const RunBound traced = goodput_bound(s, t, rows);
  CHECK(traced.offered == Approx(2000.0));  // rows 2000..5999 arrive in [1 s, 3 s)
  CHECK(traced.goodput == Approx(2 * 2 / (0.015 * 2 / 3)));
}

TEST_CASE("The run bound follows the faults: down devices serve nothing, a down origin loses all",
          "[sim][bound]") {
  Scenario s = testing::micro_scenario();  // one GPU at a and at b: 133.3/s each at batch 2
  s.demand = {{testing::service_s, testing::server_a, Rate{1000}, 0}};
  const double per_gpu = 2 / 0.015;
  SimulationConfig c;
  c.duration = seconds(12);
  c.warmup = seconds(2);
  // b down over [6 s, 10 s) of the window [2 s, 12 s): both GPUs for 6 s, a's alone for 4 s.
  c.faults = {{seconds(10), FaultKind::ServerUp, testing::server_b},
              {seconds(6), FaultKind::ServerDown, testing::server_b}};
  CHECK(goodput_bound(s, c).goodput == Approx((6 * 2 * per_gpu + 4 * per_gpu) / 10));
  // a's GPU down from 7 s: its requests go to b.
  c.faults = {{seconds(7), FaultKind::DeviceDown, testing::server_a, 0}};
  CHECK(goodput_bound(s, c).goodput == Approx((5 * 2 * per_gpu + 5 * per_gpu) / 10));
  // a down from 7 s: its requests are rejected on arrival, still offered.
  c.faults = {{seconds(7), FaultKind::ServerDown, testing::server_a}};
  const RunBound lost = goodput_bound(s, c);
  CHECK(lost.goodput == Approx(2 * per_gpu / 2));
  CHECK(lost.offered == Approx(1000.0));
  // A strategy runs no better than that: EPARA's goodput with a down at 7 s.
  const auto registry = StrategyRegistry::with_builtins();
  const RunMetrics m = simulate(s, c, *registry.make("epara"));
  CHECK(m.goodput() <= lost.goodput + allowance(s, c, lost));
}

TEST_CASE("Bisection finds the GPU count a linear scan finds", "[sim][bound]") {
  std::mt19937_64 rng(5);
  int compared = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const Scenario s = testing::random_scenario(rng);
    if (s.demand.empty()) continue;
    SimulationConfig c;
    c.duration = seconds(6);
    c.warmup = seconds(1);
    if (s.cluster.gpu_count() == 0) {  // CPUs only: no GPU count to search
      CHECK_THROWS_WITH(gpus_lower_bound(s, c, 0.5), Catch::Contains("has no GPU to scale"));
      continue;
    }
    for (double target : {0.5, 0.9, 0.99}) {
      INFO("trial " << trial << ", target " << target << ": " << s.description);
      const GpusNeeded found = gpus_lower_bound(s, c, target);
      // The scan: upwards over every factor at which some edge server's rounded count grows
      // (lround(f·n) steps at f = (m + ½) / n), to factor 64.
      std::vector<double> factors{1e-9};
      for (const ServerSpec& server : s.cluster.servers)
        if (server.kind == ServerKind::EdgeServer)
          for (std::size_t m = 1; m < 64 * server.gpus.size(); ++m)
            factors.push_back((static_cast<double>(m) + 0.5) /
                              static_cast<double>(server.gpus.size()) * (1 + 1e-9));
      std::sort(factors.begin(), factors.end());
      std::optional<int> scanned;
      for (std::size_t i = 0; i < factors.size() && !scanned && factors[i] <= 64.0; ++i) {
        const Scenario scaled = scale_cluster(s, factors[i]);
        if (goodput_bound(scaled, c).attainment() >= target)
          scanned = static_cast<int>(scaled.cluster.gpu_count());
      }
      REQUIRE(found.reached == scanned.has_value());
      if (!scanned) continue;
      CHECK(found.gpus == *scanned);
      CHECK(found.gpus_below < found.gpus);
      CHECK(found.attainment >= target);
      ++compared;
    }
  }
  CHECK(compared >= 10);
}
