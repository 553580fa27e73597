#pragma once
// Local search after greedy: remove one chosen instance, refill greedily from what remains without
// that candidate (a swap), and keep the result when it scores better; repeat until no swap helps.
// Greedy alone guarantees 1 − 1/e of the optimum only under a cardinality constraint; with
// per-server devices (a partition matroid, or knapsacks for multi-device instances) its guarantee
// drops to 1/2 — it may fill a server's only device with a service that others could serve
// elsewhere. The removal-and-refill move repairs exactly that.

#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "epara/error.hpp"
#include "epara/placement/greedy.hpp"

namespace epara {

namespace detail {
// Constraints with one candidate ruled out: the refill after removing it must try the others.
template <class C>
struct Excluding {
  C& inner;
  std::size_t excluded;
  bool feasible(std::size_t c) const { return c != excluded && inner.feasible(c); }
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
/// be taken (e.g. it still has an instance of every service the caller requires).
template <class Make, class Acceptable = bool (*)(const std::vector<std::size_t>&)>
LocalSearchResult local_search(
    Make&& make, std::size_t n, std::vector<std::size_t> chosen, const GreedyOptions& options,
    int max_moves = 64,
    Acceptable&& acceptable = [](const std::vector<std::size_t>&) { return true; }) {
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
  bool improved = true;
  while (improved && out.moves < max_moves) {
    improved = false;
    for (std::size_t i = 0; i < chosen.size() && !improved; ++i) {
      std::vector<std::size_t> trial = chosen;
      trial.erase(trial.begin() + static_cast<std::ptrdiff_t>(i));
      auto state = replay(trial);
      if (!state) continue;
      const double base_cost = cost_of(state->second, trial);
      refill.budget = options.budget - base_cost;
      detail::Excluding<std::remove_reference_t<decltype(state->second)>> others{state->second,
                                                                                 chosen[i]};
      const GreedyResult more = greedy(state->first, others, n, refill);
      out.evaluations += more.evaluations;
      const double cost = base_cost + more.cost;
      if (score(state->first.value(), cost) <= score(out.value, out.cost)) continue;
      trial.insert(trial.end(), more.chosen.begin(), more.chosen.end());
      if (!acceptable(trial)) continue;
      chosen = std::move(trial);
      out.value = state->first.value();
      out.cost = cost;
      ++out.moves;
      improved = true;
    }
  }
  out.chosen = std::move(chosen);
  return out;
}

}  // namespace epara
