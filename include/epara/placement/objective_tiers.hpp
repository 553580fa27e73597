#pragma once
// Tiers of the placement objective: demand that must be served before other demand is. A floor
// on every service's attainment comes before the demand itself, and the demand before the
// headroom plans are sized with, so one service's headroom never displaces another service's
// demand. Each tier's demand contains the one before it; the scheduler places them in order.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "epara/placement/ground_set.hpp"
#include "epara/placement/objective.hpp"

namespace epara {

/// The ground sets of the tiers, in placement order; the last holds the whole demand. All share
/// one list of instance types, so a candidate index means the same instance in every tier.
struct ObjectiveTiers {
  std::vector<GroundSet> sets;
  std::size_t base = 0;  ///< the tier of the demand itself, which a placement is reported on
  const GroundSet& whole() const { return sets.back(); }
  const GroundSet& demand() const { return sets[base]; }
};

/// The demand plans are sized for: rates times `headroom`, streams rounded up (a stream is
/// whole).
inline std::vector<Demand> with_headroom(std::vector<Demand> demand, double headroom) {
  for (Demand& d : demand) {
    d.rate = d.rate * headroom;
    d.streams = static_cast<int>(std::ceil(d.streams * headroom));
  }
  return demand;
}

/// `base` (the demand, under its weights) between a floor tier — every service up to `floor` of
/// its demand, under `floor_weights` (0: none) — and a headroom tier — the demand times
/// `headroom` under base's weights (1: none).
inline ObjectiveTiers objective_tiers(GroundSet base, const std::vector<Demand>& demand,
                                      double floor, std::vector<std::int64_t> floor_weights,
                                      double headroom) {
  const Scenario& s = base.scenario();
  ObjectiveTiers tiers;
  if (floor > 0.0)
    tiers.sets.emplace_back(s, base.instance_types(), demand, base.loaded(),
                            std::move(floor_weights), floor);
  tiers.base = tiers.sets.size();
  std::optional<GroundSet> headroom_tier;
  if (headroom > 1.0)
    headroom_tier.emplace(s, base.instance_types(), with_headroom(demand, headroom), base.loaded(),
                          base.weights());
  tiers.sets.push_back(std::move(base));
  if (headroom_tier) tiers.sets.push_back(std::move(*headroom_tier));
  return tiers;
}

/// A tier's objective with ties broken by the next tier's: value = tier + next / (1 + the most
/// any candidate can add to next), so a candidate's fraction never outweighs one unit of the
/// tier. Without it a tier's last instance at an origin would be the smallest that covers
/// what is left, and the next tier would need a second one beside it. A sum of monotone
/// submodular functions: models SubmodularObjective.
template <class Objective>
class TieBroken {
 public:
  TieBroken(const GroundSet& tier, const GroundSet& next)
      : TieBroken(Objective(tier), Objective(next), next) {}
  /// From the two tiers' objectives (`next` made on `next_ground`).
  TieBroken(Objective tier, Objective next, const GroundSet& next_ground)
      : tier_(std::move(tier)), next_(std::move(next)) {
    const GroundSet& g = next_ground;
    double most = 0.0;
    for (std::size_t c = 0; c < g.size(); ++c)
      most = std::max(most, static_cast<double>(g.capacity(c)) *
                                static_cast<double>(g.weight(g.type_of(c).service)));
    scale_ = 1.0 / (1.0 + most);
  }
  double gain(std::size_t c) const { return tier_.gain(c) + scale_ * next_.gain(c); }
  void commit(std::size_t c) {
    tier_.commit(c);
    next_.commit(c);
  }
  double value() const { return tier_.value() + scale_ * next_.value(); }

 private:
  Objective tier_, next_;
  double scale_ = 1.0;
};

/// The value of `set` on one tier, of the objective `make(tier)` makes.
template <class Make>
double tier_value_of(Make&& make, const GroundSet& tier, const std::vector<std::size_t>& set) {
  auto objective = make(tier);
  for (std::size_t c : set) objective.commit(c);
  return objective.value();
}

/// The objective's value of `set` on one tier.
template <class Objective>
double tier_value(const GroundSet& tier, const std::vector<std::size_t>& set) {
  return tier_value_of([](const GroundSet& g) { return Objective(g); }, tier, set);
}

}  // namespace epara
