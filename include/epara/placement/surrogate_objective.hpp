#pragma once
// A fast surrogate of the flow objective for very large clusters:
//   F(S) = Σ over demand nodes n of min(demand(n), Σ over instances e in S of w(e, n))
// where an instance splits its capacity among the demand nodes that reach it in proportion to
// their demand: w(e, n) = floor(capacity(e) · demand(n) / Σ demand of the nodes reaching e).
// A sum of concave functions of modular ones: monotone submodular. It never exceeds the flow
// objective (the split is a feasible flow) and costs O(demand nodes of the service) per gain.

#include <cstdint>
#include <vector>

#include "epara/placement/ground_set.hpp"
#include "epara/placement/objective.hpp"

namespace epara {

/// Models SubmodularObjective; values in units. Not thread-safe (caches per-group totals).
class SurrogateObjective {
 public:
  explicit SurrogateObjective(const GroundSet& ground)
      : ground_(&ground),
        received_(ground.demand().size(), 0),
        reaching_demand_(ground.group_count(), -1) {}

  double gain(std::size_t candidate) const {
    std::int64_t total = 0;
    visit(candidate, [&](std::size_t n, std::int64_t share) {
      const std::int64_t d = ground_->demand()[n].demand;
      total += std::min(d, received_[n] + share) - std::min(d, received_[n]);
    });
    return static_cast<double>(total) *
           static_cast<double>(ground_->weight(ground_->type_of(candidate).service));
  }

  void commit(std::size_t candidate) {
    const std::int64_t w = ground_->weight(ground_->type_of(candidate).service);
    visit(candidate, [&](std::size_t n, std::int64_t share) {
      const std::int64_t d = ground_->demand()[n].demand;
      value_ += (std::min(d, received_[n] + share) - std::min(d, received_[n])) * w;
      received_[n] += share;
    });
  }

  double value() const { return static_cast<double>(value_); }

 private:
  // Calls f(node, share of the candidate's capacity) for every demand node reaching it.
  template <class F>
  void visit(std::size_t candidate, F&& f) const {
    const Candidate& c = ground_->candidates()[candidate];
    const auto& nodes = ground_->demand_of(ground_->type_of(candidate).service);
    std::int64_t& reaching = reaching_demand_[c.group];
    if (reaching < 0) {
      reaching = 0;
      for (std::size_t n : nodes)
        if (ground_->reaches(n, c.group)) reaching += ground_->demand()[n].demand;
    }
    if (reaching == 0) return;
    const std::int64_t capacity = ground_->capacity(candidate);
    for (std::size_t n : nodes) {
      if (!ground_->reaches(n, c.group)) continue;
      // 128-bit product: capacity × demand overflows 64 bits for large loads.
      __extension__ using wide = __int128;
      const auto share = static_cast<std::int64_t>(static_cast<wide>(capacity) *
                                                   ground_->demand()[n].demand / reaching);
      f(n, share);
    }
  }

  const GroundSet* ground_;
  std::vector<std::int64_t> received_;                 // per demand node
  mutable std::vector<std::int64_t> reaching_demand_;  // per group; -1 until computed
  std::int64_t value_ = 0;
};

static_assert(SubmodularObjective<SurrogateObjective>);

}  // namespace epara
