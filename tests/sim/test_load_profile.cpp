// Time-varying demand: load steps for all demand, one service's or one origin's, the arrivals
// they produce, and the bound over them.

#include "epara/sim/bound.hpp"
#include "epara/sim/simulator.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::seconds;

namespace {

constexpr ServiceId other_service = id_at<ServiceId>(1);

}  // namespace

TEST_CASE("A pair's load factor is that of the latest step that applies to it", "[sim][load]") {
  SimulationConfig c;
  c.load_profile = {{seconds(10), 2.0},
                    {seconds(20), 4.0, std::nullopt, testing::server_b},
                    {seconds(30), 0.0, testing::service_s, std::nullopt},
                    {seconds(25), 3.0}};  // listed out of order: time decides, not the list
  const auto at = [&](int s, ServiceId service, ServerId origin) {
    return load_factor(c, seconds(s), service, origin);
  };
  using testing::server_a;
  using testing::server_b;
  using testing::service_s;
  CHECK(at(5, service_s, server_a) == 1.0);  // before any step
  CHECK(at(10, service_s, server_a) == 2.0);
  CHECK(at(22, service_s, server_a) == 2.0);  // the step at 20 s is b's
  CHECK(at(22, service_s, server_b) == 4.0);
  CHECK(at(27, service_s, server_b) == 3.0);  // a later step for all overrides b's
  CHECK(at(31, service_s, server_b) == 0.0);
  CHECK(at(31, other_service, server_b) == 3.0);  // the step at 30 s is s's
  CHECK(peak_load_factor(c, service_s, server_a) == 3.0);
  CHECK(peak_load_factor(c, service_s, server_b) == 4.0);
  c.load_profile = {{seconds(1), 0.5}};
  CHECK(peak_load_factor(c, service_s, server_a) == 1.0);  // the factor before the step
}

TEST_CASE("Arrivals follow a moving hot spot, and an origin silenced comes back", "[sim][load]") {
  Scenario s = testing::micro_scenario();
  s.demand = {{testing::service_s, testing::server_a, Rate{20}, 0},
              {testing::service_s, testing::server_b, Rate{30}, 0}};
  SimulationConfig c;
  c.duration = seconds(14);
  c.warmup = seconds(2);
  // b: 30/s until 5 s, silent until 9 s, then 60/s; a: 20/s throughout.
  c.load_profile = {{seconds(5), 0.0, std::nullopt, testing::server_b},
                    {seconds(9), 2.0, std::nullopt, testing::server_b}};
  // Every request runs on a's GPU, so b's requests are the ones that took a hop.
  testing::FixedInstance fixed(testing::server_a, 2, std::chrono::milliseconds(2));
  const RunMetrics m = simulate(s, c, fixed);
  REQUIRE(m.services.size() == 1);
  const ServiceMetrics& sm = m.services[0];
  const auto from_a = static_cast<double>(sm.hops[0]);
  const auto from_b = static_cast<double>(sm.hops[1]);
  // Expected counts in the 12 s window, within four standard deviations of a Poisson count.
  const double expected_a = 20.0 * 12, expected_b = 30.0 * 3 + 60.0 * 5;
  CHECK(std::abs(from_a - expected_a) < 4 * std::sqrt(expected_a));
  CHECK(std::abs(from_b - expected_b) < 4 * std::sqrt(expected_b));
  CHECK(sm.outcomes() == sm.offered);
}

TEST_CASE("The bound follows demand that moves between origins", "[sim][bound][load]") {
  Scenario s = testing::micro_scenario();  // one GPU at a and at b: 133.3/s each at batch 2
  s.demand = {{testing::service_s, testing::server_a, Rate{100}, 0},
              {testing::service_s, testing::server_b, Rate{100}, 0}};
  SimulationConfig c;
  c.duration = seconds(10);
  c.warmup = seconds(2);
  // From 6 s all of b's demand enters at a, tripled: 300/s at a, none at b.
  c.load_profile = {{seconds(6), 3.0, std::nullopt, testing::server_a},
                    {seconds(6), 0.0, std::nullopt, testing::server_b}};
  const RunBound b = goodput_bound(s, c);
  CHECK(b.offered == Approx((200.0 + 300.0) / 2));
  // Offloading a→b (2 ms) leaves the 25 ms SLO feasible, so both GPUs serve a's 300/s.
  CHECK(b.goodput == Approx((200.0 + 2 * 2 / 0.015) / 2));
}
