#pragma once
// Local search after greedy: remove one chosen instance, refill greedily from what remains without
// that candidate (a swap), and keep the result when it scores better; repeat until no swap helps.
// Greedy alone guarantees 1 − 1/e of the optimum only under a cardinality constraint; with
// per-server devices (a partition matroid, or knapsacks for multi-device instances) its guarantee
// drops to 1/2 — it may fill a server's only device with a service that others could serve
// elsewhere. The removal-and-refill move repairs exactly that.
//
// Where no single removal helps, pairs are removed together (optional: k(k−1)/2 refills a
// pass). One removal cannot leave the optimum where a service holds a device that a second
// service needs while the device it could move to holds a third: edge-memory placed after its
// server fails, video detection on four L4s and segmentation on the boards beside the cameras,
// where the optimum runs detection on the boards and tokens on a freed L4. Removing a detection
// instance alone refills its L4 with tokens, fewer items than the frames lost; removing a
// board's segmentation alone leaves the board nothing to add while detection is served.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <vector>

#include "epara/error.hpp"
#include "epara/placement/greedy.hpp"

namespace epara {

namespace detail {
// Constraints with the removed candidates ruled out: the refill after removing them must try the
// others.
template <class C>
struct Excluding {
  C& inner;
  const std::vector<std::size_t>& excluded;
  bool feasible(std::size_t c) const {
    return std::find(excluded.begin(), excluded.end(), c) == excluded.end() && inner.feasible(c);
  }
  void commit(std::size_t c) { inner.commit(c); }
  double cost(std::size_t c) const { return inner.cost(c); }
};
}  // namespace detail

struct LocalSearchResult {
  std::vector<std::size_t> chosen;
  double value = 0.0;
  double cost = 0.0;
  std::int64_t evaluations = 0;
  int moves = 0;  ///< improving moves made
};

/// Improves `chosen` (e.g. a greedy result) over candidates 0..n-1. `make()` returns a fresh
/// std::pair<Objective, Constraints>; `options` is the greedy's (its budget, penalty and
/// variant govern the refills). A set scores value − penalty × cost and must fit the budget.
/// Stops after `max_moves` improving moves. `acceptable(set)` says whether a move's result may
/// be taken (e.g. it still has an instance of every service the caller requires). `pairs`:
/// where no single removal helps, try removing two instances together.
template <class Make, class Acceptable = bool (*)(const std::vector<std::size_t>&)>
LocalSearchResult local_search(
    Make&& make, std::size_t n, std::vector<std::size_t> chosen, const GreedyOptions& options,
    int max_moves = 64,
    Acceptable&& acceptable = [](const std::vector<std::size_t>&) { return true; },
    bool pairs = false) {
  GreedyOptions refill = options;
  refill.best_singleton = false;  // extending a set, not starting one
  // The state after committing `set` in order, or nullopt if a member no longer fits (removing
  // an instance can shift later device choices).
  const auto replay = [&](const std::vector<std::size_t>& set) {
    std::optional<decltype(make())> state(make());
    for (std::size_t c : set) {
      if (!state->second.feasible(c)) return decltype(state){};
      state->first.commit(c);
      state->second.commit(c);
    }
    return state;
  };
  const auto cost_of = [](const auto& constraints, const std::vector<std::size_t>& set) {
    double cost = 0.0;
    for (std::size_t c : set) cost += constraints.cost(c);
    return cost;
  };
  LocalSearchResult out;
  {
    auto state = replay(chosen);
    EPARA_EXPECTS(state.has_value(), "local_search: the starting set does not fit");
    out.value = state->first.value();
    out.cost = cost_of(state->second, chosen);
  }
  const auto score = [&](double value, double cost) { return value - options.penalty * cost; };
  // `chosen` without the members at positions `drop`, refilled greedily without their
  // candidates; taken when it scores better and is acceptable.
  const auto try_move = [&](std::initializer_list<std::size_t> drop) {
    std::vector<std::size_t> trial;
    std::vector<std::size_t> removed;
    for (std::size_t i = 0; i < chosen.size(); ++i)
      (std::find(drop.begin(), drop.end(), i) == drop.end() ? trial : removed).push_back(chosen[i]);
    auto state = replay(trial);
    if (!state) return false;
    const double base_cost = cost_of(state->second, trial);
    refill.budget = options.budget - base_cost;
    detail::Excluding<std::remove_reference_t<decltype(state->second)>> others{state->second,
                                                                               removed};
    const GreedyResult more = greedy(state->first, others, n, refill);
    out.evaluations += more.evaluations;
    const double cost = base_cost + more.cost;
    if (score(state->first.value(), cost) <= score(out.value, out.cost)) return false;
    trial.insert(trial.end(), more.chosen.begin(), more.chosen.end());
    if (!acceptable(trial)) return false;
    chosen = std::move(trial);
    out.value = state->first.value();
    out.cost = cost;
    ++out.moves;
    return true;
  };
  const auto single_move = [&] {
    for (std::size_t i = 0; i < chosen.size(); ++i)
      if (try_move({i})) return true;
    return false;
  };
  // A pair pass starts at the row of the last pair move rather than at the first pair: the rows
  // before it had just failed (but for pairs with the refill's new instances, which the pass
  // reaches when it wraps), and each pair costs a refill (k(k−1)/2 a pass).
  std::size_t pair_row = 0;
  const auto pair_move = [&] {
    const std::size_t k = chosen.size();
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t i = (pair_row + r) % k;
      for (std::size_t j = i + 1; j < k; ++j)
        if (try_move({i, j})) {
          pair_row = i;
          return true;
        }
    }
    return false;
  };
  bool improved = true;
  while (improved && out.moves < max_moves) improved = single_move() || (pairs && pair_move());
  out.chosen = std::move(chosen);
  return out;
}

}  // namespace epara
