#pragma once
// Exact placement for tiny instances: the best multiset of candidates the constraints (and a
// budget) admit, by depth-first search. Exponential — for tests and for measuring how close
// greedy comes to the optimum.

#include <cstdint>
#include <limits>
#include <vector>

#include "epara/placement/objective.hpp"

namespace epara {

struct ExhaustiveResult {
  std::vector<std::size_t> chosen;
  double value = 0.0;
  std::int64_t nodes = 0;  ///< search nodes visited
  bool complete = true;    ///< false when node_limit stopped the search (value is a lower bound)
};

namespace detail {
template <class O, class C>
void exhaustive_search(const O& objective, const C& constraints, std::size_t n, std::size_t from,
                       double cost, double budget, std::int64_t node_limit,
                       std::vector<std::size_t>& path, ExhaustiveResult& best) {
  if (++best.nodes > node_limit) {
    best.complete = false;
    return;
  }
  if (objective.value() > best.value) {
    best.value = objective.value();
    best.chosen = path;
  }
  for (std::size_t c = from; c < n; ++c) {
    // A candidate that adds nothing now adds nothing later (diminishing returns) and only
    // uses resources: no optimal set needs it at this point.
    if (!constraints.feasible(c) || cost + constraints.cost(c) > budget || objective.gain(c) <= 0.0)
      continue;
    O next_objective = objective;
    C next_constraints = constraints;
    next_objective.commit(c);
    next_constraints.commit(c);
    path.push_back(c);
    exhaustive_search(next_objective, next_constraints, n, c, cost + constraints.cost(c), budget,
                      node_limit, path, best);
    path.pop_back();
    if (!best.complete) return;
  }
}
}  // namespace detail

/// The maximum of `objective` over multisets of candidates 0..n-1 that `constraints` admit with
/// Σ cost <= budget, starting from the objects' current state (copied, not modified).
template <SubmodularObjective O, PlacementConstraints C>
ExhaustiveResult exhaustive_maximum(const O& objective, const C& constraints, std::size_t n,
                                    double budget = std::numeric_limits<double>::infinity(),
                                    std::int64_t node_limit = 50'000'000) {
  ExhaustiveResult best;
  best.value = objective.value();
  std::vector<std::size_t> path;
  detail::exhaustive_search(objective, constraints, n, 0, 0.0, budget, node_limit, path, best);
  return best;
}

}  // namespace epara
