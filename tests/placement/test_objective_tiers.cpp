#include <array>
#include <random>

#include <catch2/catch.hpp>

#include "epara/placement/scheduler.hpp"
#include "support/random_placement.hpp"

using namespace epara;
using namespace std::chrono_literals;

namespace {

// One server with two GPUs and two latency-sensitive services; instance types made by hand,
// one whole GPU each, so that capacities are exact.
struct TwoServices {
  Scenario scenario;
  InstanceTypes types;
  TwoServices(double capacity_a, double capacity_b) {
    scenario.cluster.device_classes = {{"gpu", DeviceKind::Gpu, Bytes::gib(16), 1.0}};
    scenario.cluster.servers = {
        {"s", ServerKind::EdgeServer, {DeviceClassId{0}, DeviceClassId{0}}, {}}};
    scenario.cluster.network = Network(1, {});
    scenario.services = {{"a", Slo::latency(1s), Bytes::gib(4), ProfileId{0}, {}, {}, {}},
                         {"b", Slo::latency(1s), Bytes::gib(4), ProfileId{0}, {}, {}, {}}};
    for (auto [service, capacity] : {std::pair{0, capacity_a}, std::pair{1, capacity_b}}) {
      InstanceType t;
      t.service = id_at<ServiceId>(static_cast<std::size_t>(service));
      t.capacity = capacity;
      t.memory_per_device = Bytes::gib(4);
      t.worst_latency = t.pass_latency = 100ms;
      types.types.push_back(t);
    }
  }
  std::vector<Demand> demand(double a, double b) const {
    return {{ServiceId{0}, ServerId{0}, Rate{a}, 0}, {ServiceId{1}, ServerId{0}, Rate{b}, 0}};
  }
  // Instances per service that the search over `tiers` places (no first instances, no spares).
  std::vector<int> placed(const ObjectiveTiers& tiers) const {
    SchedulerOptions options;
    options.serve_every_service = false;
    options.spare_replicas = false;
    std::vector<int> count(2, 0);
    for (std::size_t c : detail::run_search<FlowObjective>(tiers, options).chosen)
      ++count[index_of(tiers.whole().type_of(c).service)];
    return count;
  }
};

}  // namespace

TEST_CASE("the headroom is placed after every service's demand, never instead of it") {
  // a: 110/s, 100/s per GPU; b: 25/s, 30/s per GPU; headroom 1.2. The second GPU serves 10 of
  // a's demand (+22 of its headroom) or all 25 of b's: b's demand comes first.
  const TwoServices world(100, 30);
  const auto demand = world.demand(110, 25);
  const GroundSet base(world.scenario, world.types, demand, {});
  const ObjectiveTiers tiered = objective_tiers(base, demand, 0.0, {}, 1.2);
  REQUIRE(tiered.sets.size() == 2);
  CHECK(world.placed(tiered) == std::vector<int>{1, 1});
  // Sizing the demand itself up by the headroom lets a's headroom (32/s) outbid b's demand.
  const ObjectiveTiers inflated{
      {GroundSet(world.scenario, world.types, with_headroom(demand, 1.2), {})}};
  CHECK(world.placed(inflated) == std::vector<int>{2, 0});
}

TEST_CASE("an attainment floor serves a small service before more of a large one") {
  // a: 400/s, 100/s per GPU; b: 10/s, 10/s per GPU. Items: both GPUs to a (200 of 400 served,
  // b at 0). Floor 0.5: one GPU takes b to its floor (and then all of it), the other serves a.
  const TwoServices world(100, 10);
  const auto demand = world.demand(400, 10);
  const GroundSet base(world.scenario, world.types, demand, {});
  CHECK(world.placed(objective_tiers(base, demand, 0.0, {}, 1.0)) == std::vector<int>{2, 0});
  const ObjectiveTiers floored = objective_tiers(base, demand, 0.5, {1, 40}, 1.0);
  REQUIRE(floored.sets.size() == 2);
  CHECK(world.placed(floored) == std::vector<int>{1, 1});
  CHECK(tier_value<FlowObjective>(floored.sets[0], {0, 1}) == Approx((100 + 5 * 40) * 1e6));
}

TEST_CASE("later tiers and local search never serve less of an earlier tier") {
  // Over random instances: the search's result, local search on, serves every earlier tier at
  // least as well as the greedy phases alone (local search off), and the whole demand no worse;
  // schedule() reports the demand it was given, not the headroom it sized plans with.
  std::mt19937_64 rng(77);
  int tiers_changed = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const auto world = testing::random_placement(rng, {6, 4, 5, false, true, 3});
    const std::vector<Demand>& demand = world->scenario.demand;
    const double floor = std::array{0.0, 0.3, 1.0}[static_cast<std::size_t>(trial % 3)];
    const auto loads = total_load(demand, world->scenario.services.size());
    const ObjectiveTiers tiers = objective_tiers(
        *world->ground, demand, floor,
        detail::service_weights(world->scenario, loads, Weighting::DemandShare), 1.2);
    SchedulerOptions options;  // one search each: serving every service may re-run it
    options.spare_replicas = false;
    options.serve_every_service = false;
    SchedulerOptions greedy_only = options;
    greedy_only.local_search_moves = 0;
    const auto searched = detail::run_search<FlowObjective>(tiers, options).chosen;
    const auto greedy = detail::run_search<FlowObjective>(tiers, greedy_only).chosen;
    for (std::size_t t = 0; t + 1 < tiers.sets.size(); ++t)
      CHECK(tier_value<FlowObjective>(tiers.sets[t], searched) >=
            tier_value<FlowObjective>(tiers.sets[t], greedy));
    CHECK(tier_value<FlowObjective>(tiers.whole(), searched) >=
          tier_value<FlowObjective>(tiers.whole(), greedy));
    if (searched != greedy) ++tiers_changed;

    SchedulerOptions scheduled;
    scheduled.serve_every_service = trial % 2 == 0;
    scheduled.headroom = 1.2;
    scheduled.attainment_floor = floor;
    const Placement p = schedule(world->scenario, demand, {}, scheduled);
    double offered = 0.0;
    for (const Demand& d : demand)
      offered += d.items(world->scenario.service(d.service).slo).per_second;
    CHECK(p.demand == Approx(offered).epsilon(1e-6));
    CHECK(p.served <= p.demand + 1e-6);
  }
  CHECK(tiers_changed > 0);  // local search did move something in some instances
}

TEST_CASE("headroom and floor outside their ranges are refused") {
  const TwoServices world(100, 30);
  SchedulerOptions bad;
  bad.headroom = 0.9;
  CHECK_THROWS_WITH(placement_ground_set(world.scenario, world.demand(1, 1), {}, bad),
                    Catch::Contains("headroom"));
  bad.headroom = 1.0;
  bad.attainment_floor = 1.5;
  CHECK_THROWS_WITH(placement_ground_set(world.scenario, world.demand(1, 1), {}, bad),
                    Catch::Contains("attainment floor"));
}

TEST_CASE("a floor the scheduler chooses lifts the worst service within the items it may cost") {
  // Over random instances: the chosen placement serves at least (1 - cost) of the items the
  // placement without a floor serves, its worst service is planned no lower, and its floor is
  // one of the ladder's; some instances take a floor, and at cost 0 none loses an item.
  std::mt19937_64 rng(91);
  int lifted = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const auto world = testing::random_placement(rng, {6, 4, 5, false, true, 3});
    const std::vector<Demand>& demand = world->scenario.demand;
    SchedulerOptions fixed;
    fixed.serve_every_service = trial % 2 == 0;
    fixed.headroom = 1.2;
    const Placement none = schedule(world->scenario, demand, {}, fixed);
    const auto worst_of = [](const Placement& p) {
      const auto w = worst_service(p);
      return w ? w->served / w->demand : 1.0;
    };
    for (const double cost : {0.0, 0.05}) {
      SchedulerOptions chosen = fixed;
      chosen.choose_attainment_floor = true;
      chosen.attainment_floor_cost = cost;
      const Placement p = schedule(world->scenario, demand, {}, chosen);
      CHECK(p.served >= (1.0 - cost) * none.served - 1e-6);
      CHECK(worst_of(p) >= worst_of(none));
      CHECK((p.attainment_floor == 0.0 || p.attainment_floor == 0.25 || p.attainment_floor == 0.5 ||
             p.attainment_floor == 0.75 || p.attainment_floor == 1.0));
      if (p.attainment_floor > 0.0) {
        CHECK(worst_of(p) > worst_of(none));
        ++lifted;
      }
    }
  }
  CHECK(lifted > 0);
}

TEST_CASE("the floor's cost outside [0, 1] is refused") {
  std::mt19937_64 rng(5);
  const auto world = testing::random_placement(rng, {3, 2, 2, false, true, 2});
  SchedulerOptions bad;
  bad.choose_attainment_floor = true;
  bad.attainment_floor_cost = 1.5;
  CHECK_THROWS_WITH(schedule(world->scenario, world->scenario.demand, {}, bad),
                    Catch::Contains("floor's cost"));
}
