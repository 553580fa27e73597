#include <random>

#include <catch2/catch.hpp>

#include "epara/placement/device_constraints.hpp"
#include "epara/placement/flow_objective.hpp"
#include "epara/placement/greedy.hpp"
#include "epara/placement/surrogate_objective.hpp"
#include "support/random_placement.hpp"

using namespace epara;

namespace {

// Weighted coverage, a textbook submodular function: candidate i covers a set of elements.
struct Coverage {
  std::vector<std::vector<int>> sets;
  std::vector<double> weight;
  std::vector<bool> covered = std::vector<bool>(weight.size(), false);

  double gain(std::size_t c) const {
    double g = 0;
    for (int e : sets[c])
      if (!covered[static_cast<std::size_t>(e)]) g += weight[static_cast<std::size_t>(e)];
    return g;
  }
  void commit(std::size_t c) {
    for (int e : sets[c]) covered[static_cast<std::size_t>(e)] = true;
  }
  double value() const {
    double v = 0;
    for (std::size_t e = 0; e < weight.size(); ++e) v += covered[e] ? weight[e] : 0.0;
    return v;
  }
};
static_assert(SubmodularObjective<Coverage>);

// Each candidate at most once, with a cost.
struct OncePerCandidate {
  std::vector<double> costs;
  std::vector<bool> used = std::vector<bool>(costs.size(), false);
  bool feasible(std::size_t c) const { return !used[c]; }
  void commit(std::size_t c) { used[c] = true; }
  double cost(std::size_t c) const { return costs[c]; }
};
static_assert(PlacementConstraints<OncePerCandidate>);

}  // namespace

TEST_CASE("greedy on coverage picks by marginal gain, ties to the lower index") {
  // Elements 0..4 weigh 1 each. Sets: {0,1,2}, {2,3}, {3,4}, {0}. Step 1: set 0 adds 3.
  // Step 2: set 1 adds 1 (element 3), set 2 adds 2, set 3 adds 0: set 2. Then nothing adds.
  for (GreedyVariant v : {GreedyVariant::Plain, GreedyVariant::Lazy}) {
    Coverage cov{{{0, 1, 2}, {2, 3}, {3, 4}, {0}}, {1, 1, 1, 1, 1}};
    OncePerCandidate once{{1, 1, 1, 1}};
    const GreedyResult r = greedy(cov, once, 4, {.variant = v});
    CHECK(r.chosen == std::vector<std::size_t>{0, 2});
    CHECK(r.value == 5.0);
    CHECK(r.termination == GreedyTermination::Converged);
  }
}

TEST_CASE("cost-benefit greedy with the best-singleton fix") {
  // Budget 10. Item 0: value 10, cost 10 (ratio 1). Items 1, 2: value 2 and cost 1 each
  // (ratio 2). By ratio greedy takes 1 and 2 (value 4) and cannot afford 0; the best single
  // item is worth 10 and wins.
  Coverage cov{{{0}, {1}, {2}}, {10, 2, 2}};
  OncePerCandidate once{{10, 1, 1}};
  const GreedyResult r = greedy(cov, once, 3, {.variant = GreedyVariant::Lazy, .budget = 10});
  CHECK(r.singleton);
  CHECK(r.chosen == std::vector<std::size_t>{0});
  CHECK(r.value == 10.0);
  CHECK(r.termination == GreedyTermination::BudgetExhausted);
  // Without the fix, the ratio greedy's 4.
  Coverage cov2{{{0}, {1}, {2}}, {10, 2, 2}};
  OncePerCandidate once2{{10, 1, 1}};
  const GreedyResult plain_ratio = greedy(
      cov2, once2, 3, {.variant = GreedyVariant::Plain, .budget = 10, .best_singleton = false});
  CHECK(plain_ratio.value == 4.0);
  CHECK(plain_ratio.cost == 2.0);
}

TEST_CASE("a penalty stops loads that cost more than they add") {
  Coverage cov{{{0}, {1}}, {5, 1}};
  OncePerCandidate once{{1, 1}};
  const GreedyResult r = greedy(cov, once, 2, {.variant = GreedyVariant::Lazy, .penalty = 2});
  CHECK(r.chosen == std::vector<std::size_t>{0});  // 5 - 2 > 0, but 1 - 2 < 0
}

TEST_CASE("lazy greedy returns exactly plain greedy's placement, with fewer evaluations") {
  // Property (fixed seed) over hundreds of random placements, both objectives, with no budget,
  // a load budget, and a load penalty.
  std::mt19937_64 rng(99);
  std::int64_t plain_evaluations = 0, lazy_evaluations = 0;
  int compared = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const auto world = testing::random_placement(rng);
    const GroundSet& g = *world->ground;
    GreedyOptions options;
    switch (trial % 3) {
      case 1:
        options.budget = std::uniform_real_distribution<>(5, 60)(rng);
        break;
      case 2:
        options.penalty = std::uniform_real_distribution<>(0.01, 5)(rng) * units_per_item;
        break;
      default:
        break;
    }
    const auto run = [&](GreedyVariant v, bool surrogate) {
      GreedyOptions o = options;
      o.variant = v;
      DeviceConstraints constraints(g);
      if (surrogate) {
        SurrogateObjective objective(g);
        return greedy(objective, constraints, g.size(), o);
      }
      FlowObjective objective(g);
      return greedy(objective, constraints, g.size(), o);
    };
    for (bool surrogate : {false, true}) {
      const GreedyResult plain = run(GreedyVariant::Plain, surrogate);
      const GreedyResult lazy = run(GreedyVariant::Lazy, surrogate);
      REQUIRE(lazy.chosen == plain.chosen);
      REQUIRE(lazy.value == plain.value);
      REQUIRE(lazy.termination == plain.termination);
      REQUIRE(lazy.evaluations <= plain.evaluations + static_cast<std::int64_t>(g.size()));
      plain_evaluations += plain.evaluations;
      lazy_evaluations += lazy.evaluations;
      ++compared;
    }
  }
  CHECK(compared == 800);
  CHECK(lazy_evaluations < plain_evaluations);
}

TEST_CASE("stochastic greedy is deterministic for a seed and respects the constraints") {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const auto world = testing::random_placement(rng);
    const GroundSet& g = *world->ground;
    const auto run = [&](std::uint64_t seed) {
      FlowObjective objective(g);
      DeviceConstraints constraints(g);
      return greedy(objective, constraints, g.size(),
                    {.variant = GreedyVariant::Stochastic, .seed = seed});
    };
    const GreedyResult a = run(7), b = run(7);
    REQUIRE(a.chosen == b.chosen);
    REQUIRE(a.value == b.value);
  }
}
