#pragma once
// The customization point of the allocator: one policy per category proposes the candidate
// configurations (replica size, timing source, sharing, stream split) that PlanSearch sizes.

#include <concepts>

#include "epara/parallel/plan_search.hpp"

namespace epara {

/// A type P models AllocationPolicy when, for `const P& p`, `const AllocationProblem& problem`
/// and `PlanSearch& search`, the expression `p.propose(problem, search)` is valid. propose()
/// calls search.consider(Candidate{...}) once per configuration worth sizing; the search keeps
/// the least-cost feasible plan (or the closest infeasible one).
template <class P>
concept AllocationPolicy = requires(const P& p, const AllocationProblem& problem,
                                    PlanSearch& search) {
  p.propose(problem, search);
};

}  // namespace epara
