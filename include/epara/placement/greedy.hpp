#pragma once
// Greedy maximization of a monotone submodular objective under side constraints:
//   plain       each step evaluates every candidate and commits the best;
//   lazy        Minoux's accelerated greedy: a max-heap of stale gains, which submodularity
//               makes upper bounds — same picks as plain, far fewer evaluations;
//   stochastic  each step evaluates a random sample of n/k · ln(1/ε) candidates.
// With a finite budget (knapsack: Σ cost <= budget) candidates rank by gain per cost, and the
// best single candidate is compared at the end (the best-singleton fix); with a penalty they
// rank by gain − penalty × cost. Candidates may be committed again (one more instance each).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <queue>
#include <random>
#include <string_view>
#include <vector>

#include "epara/placement/objective.hpp"

namespace epara {

enum class GreedyVariant { Plain, Lazy, Stochastic };

constexpr std::string_view to_string(GreedyVariant v) noexcept {
  switch (v) {
    case GreedyVariant::Plain:
      return "plain";
    case GreedyVariant::Lazy:
      return "lazy";
    case GreedyVariant::Stochastic:
      return "stochastic";
  }
  return "?";
}

struct GreedyOptions {
  GreedyVariant variant = GreedyVariant::Lazy;
  /// Knapsack budget on Σ cost of the committed candidates; infinite: no budget.
  double budget = std::numeric_limits<double>::infinity();
  /// Value lost per unit of cost (a penalty instead of a budget); 0: none.
  double penalty = 0.0;
  /// With a finite budget: return the best single candidate when it beats the greedy set.
  bool best_singleton = true;
  /// Stochastic: sample n / expected_picks · ln(1/epsilon) candidates per step.
  double epsilon = 0.1;
  std::size_t expected_picks = 0;  ///< 0: n (a sample of ln(1/epsilon))
  std::uint64_t seed = 1;
  std::size_t max_picks = std::numeric_limits<std::size_t>::max();
};

enum class GreedyTermination {
  Converged,        ///< no feasible candidate adds value
  BudgetExhausted,  ///< candidates that would add value no longer fit the budget
  PickLimit,        ///< max_picks reached
};

constexpr std::string_view to_string(GreedyTermination t) noexcept {
  switch (t) {
    case GreedyTermination::Converged:
      return "converged";
    case GreedyTermination::BudgetExhausted:
      return "budget-exhausted";
    case GreedyTermination::PickLimit:
      return "pick-limit";
  }
  return "?";
}

struct GreedyResult {
  std::vector<std::size_t> chosen;  ///< in commit order; repeats are further instances
  double value = 0.0;               ///< objective value of `chosen`
  double cost = 0.0;                ///< Σ cost of `chosen`
  std::int64_t evaluations = 0;     ///< gain() calls
  GreedyTermination termination = GreedyTermination::Converged;
  bool singleton = false;  ///< the best-singleton fix won: `chosen` is that one candidate
};

namespace detail {

// A candidate's rank: free candidates (cost 0) under a budget come first, by gain.
struct GreedyKey {
  int tier = 0;
  double score = 0.0;
  friend bool operator==(const GreedyKey&, const GreedyKey&) = default;
  friend bool operator<(const GreedyKey& a, const GreedyKey& b) {
    return a.tier != b.tier ? a.tier < b.tier : a.score < b.score;
  }
};

// How the greedy ranks a candidate of this gain and cost: by gain per cost under a budget (free
// ones first), else by gain net of the penalty.
inline GreedyKey greedy_key(const GreedyOptions& options, double gain, double cost) {
  if (std::isfinite(options.budget))
    return cost <= 0.0 ? GreedyKey{1, gain} : GreedyKey{0, gain / cost};
  return {0, gain - options.penalty * cost};
}

// Whether committing a candidate of this key and gain adds value.
inline bool adds_value(const GreedyKey& k, double gain) {
  return gain > 0.0 && (k.tier == 1 || k.score > 0.0);
}

struct GreedyEntry {
  GreedyKey key;
  std::size_t candidate = 0;
  std::size_t round = 0;  // the step its key was computed in
};

// Heap order: larger key first, then the lower candidate index (plain greedy's tie rule).
struct EntryBefore {
  bool operator()(const GreedyEntry& a, const GreedyEntry& b) const {
    if (a.key == b.key) return a.candidate > b.candidate;
    return a.key < b.key;
  }
};

template <class O, class C>
class GreedyRun {
 public:
  GreedyRun(O& objective, C& constraints, std::size_t n, const GreedyOptions& options)
      : o_(objective), c_(constraints), n_(n), opt_(options) {}

  GreedyResult run() {
    if (std::isfinite(opt_.budget) && opt_.best_singleton) find_singleton();
    switch (opt_.variant) {
      case GreedyVariant::Plain:
        plain();
        break;
      case GreedyVariant::Lazy:
        lazy();
        break;
      case GreedyVariant::Stochastic:
        stochastic();
        break;
    }
    result_.value = o_.value();
    if (singleton_gain_ > result_.value) {
      result_.chosen = {singleton_};
      result_.value = singleton_gain_;
      result_.cost = c_.cost(singleton_);
      result_.singleton = true;
    }
    return result_;
  }

 private:
  GreedyKey key(double gain, double cost) const { return greedy_key(opt_, gain, cost); }
  bool affordable(std::size_t c) const { return c_.cost(c) <= opt_.budget - result_.cost + 1e-9; }
  double evaluate(std::size_t c) {
    ++result_.evaluations;
    return o_.gain(c);
  }
  // Evaluates c; its key when it is feasible, adds value and fits the budget (else it is out
  // for good: feasibility, gains and the budget only shrink).
  std::optional<GreedyKey> rank(std::size_t c) {
    if (!c_.feasible(c)) return std::nullopt;
    const double g = evaluate(c);
    const GreedyKey k = key(g, c_.cost(c));
    if (!adds_value(k, g) || !affordable(c)) return std::nullopt;
    return k;
  }
  bool pick(std::size_t c) {
    o_.commit(c);
    c_.commit(c);
    result_.chosen.push_back(c);
    result_.cost += c_.cost(c);
    if (result_.chosen.size() < opt_.max_picks) return true;
    result_.termination = GreedyTermination::PickLimit;
    return false;
  }
  // Budget exhausted: at the end, some candidate that fits the devices would add value but not
  // the budget. Judged on the final state, so every variant reports it alike.
  void finish() {
    if (!std::isfinite(opt_.budget)) return;
    for (std::size_t c = 0; c < n_; ++c) {
      if (affordable(c) || !c_.feasible(c)) continue;
      const double g = evaluate(c);
      if (adds_value(key(g, c_.cost(c)), g)) {
        result_.termination = GreedyTermination::BudgetExhausted;
        return;
      }
    }
  }

  void find_singleton() {
    for (std::size_t c = 0; c < n_; ++c) {
      if (!c_.feasible(c) || c_.cost(c) > opt_.budget) continue;
      const double g = evaluate(c);
      if (g > singleton_gain_) {
        singleton_gain_ = g;
        singleton_ = c;
      }
    }
  }

  void plain() {
    std::vector<std::size_t> alive(n_);
    for (std::size_t c = 0; c < n_; ++c) alive[c] = c;
    while (true) {
      std::size_t best = n_;
      GreedyKey best_key;
      std::vector<std::size_t> next;
      for (std::size_t c : alive) {
        const auto k = rank(c);
        if (!k) continue;
        next.push_back(c);
        if (best == n_ || best_key < *k) {
          best = c;
          best_key = *k;
        }
      }
      alive.swap(next);
      if (best == n_ || !pick(best)) break;
    }
    if (result_.termination != GreedyTermination::PickLimit) finish();
  }

  void lazy() {
    std::priority_queue<GreedyEntry, std::vector<GreedyEntry>, EntryBefore> heap;
    std::size_t round = 0;
    for (std::size_t c = 0; c < n_; ++c)
      if (const auto k = rank(c)) heap.push({*k, c, round});
    while (!heap.empty()) {
      GreedyEntry top = heap.top();
      heap.pop();
      if (top.round != round) {  // stale: re-evaluate, and select only if it still leads
        const auto k = rank(top.candidate);
        if (!k) continue;
        top.key = *k;
        top.round = round;
        if (!heap.empty() && EntryBefore{}(top, heap.top())) {
          heap.push(top);
          continue;
        }
      } else if (!c_.feasible(top.candidate) || !affordable(top.candidate)) {
        continue;
      }
      if (!pick(top.candidate)) return;
      ++round;
      heap.push(top);  // its key is now a stale upper bound for another instance
    }
    finish();
  }

  void stochastic() {
    std::vector<std::size_t> alive(n_);
    for (std::size_t c = 0; c < n_; ++c) alive[c] = c;
    std::mt19937_64 rng(opt_.seed);
    const double picks = static_cast<double>(opt_.expected_picks == 0 ? std::max<std::size_t>(n_, 1)
                                                                      : opt_.expected_picks);
    const auto sample = static_cast<std::size_t>(
        std::ceil(static_cast<double>(n_) / picks * std::log(1.0 / opt_.epsilon)));
    while (!alive.empty()) {
      const std::size_t m = std::min(alive.size(), std::max<std::size_t>(sample, 1));
      for (std::size_t i = 0; i < m; ++i) {
        std::uniform_int_distribution<std::size_t> pick_index(i, alive.size() - 1);
        std::swap(alive[i], alive[pick_index(rng)]);
      }
      std::size_t best = n_;
      GreedyKey best_key;
      std::vector<std::size_t> dead;  // positions in the sampled prefix
      for (std::size_t i = 0; i < m; ++i) {
        const std::size_t c = alive[i];
        const auto k = rank(c);
        if (!k) {
          dead.push_back(i);
          continue;
        }
        if (best == n_ || best_key < *k || (best_key == *k && c < best)) {
          best = c;
          best_key = *k;
        }
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        alive[*it] = alive.back();
        alive.pop_back();
      }
      if (best != n_ && !pick(best)) return;
    }
    finish();
  }

  O& o_;
  C& c_;
  std::size_t n_;
  const GreedyOptions& opt_;
  GreedyResult result_;
  std::size_t singleton_ = 0;
  double singleton_gain_ = 0.0;
};

}  // namespace detail

/// Greedily commits candidates 0..n-1 of `objective` subject to `constraints` and `options`.
/// On return, objective and constraints hold the greedy run's commits; when the best-singleton
/// fix wins (result.singleton), `result.chosen` is that single candidate instead — replay it
/// on fresh objects to get its state.
template <SubmodularObjective O, PlacementConstraints C>
GreedyResult greedy(O& objective, C& constraints, std::size_t n,
                    const GreedyOptions& options = {}) {
  return detail::GreedyRun<O, C>(objective, constraints, n, options).run();
}

}  // namespace epara
