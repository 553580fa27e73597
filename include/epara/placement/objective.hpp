#pragma once
// The customization points of placement: the objective, and the constraints.

#include <concepts>
#include <cstddef>
#include <vector>

namespace epara {

/// A monotone submodular set function over a ground set of candidates 0..n-1, evaluated
/// incrementally. For `O& o`, `const O& co` and a candidate index `c`:
///   co.gain(c)  -> double   the value added by committing c now (>= 0, and never larger after
///                           more commits: diminishing returns; lazy greedy relies on it)
///   o.commit(c)             adds c to the committed set (a candidate may be committed again:
///                           each commit is one more instance)
///   co.value()  -> double   the value of the committed set
/// Gains that are exact (integers held in doubles) make lazy greedy return exactly the
/// placement plain greedy returns; see GroundSet's units.
template <class O>
concept SubmodularObjective = requires(O& o, const O& co, std::size_t c) {
  { co.gain(c) } -> std::convertible_to<double>;
  o.commit(c);
  { co.value() } -> std::convertible_to<double>;
};

/// Side constraints of placement. For `C& k`, `const C& ck` and a candidate index `c`:
///   ck.feasible(c) -> bool  c fits now (once false, it stays false as more is committed)
///   k.commit(c)             records c's use of resources
///   ck.cost(c)    -> double what c costs against a budget (e.g. load seconds; 0 = free)
template <class C>
concept PlacementConstraints = requires(C& k, const C& ck, std::size_t c) {
  { ck.feasible(c) } -> std::convertible_to<bool>;
  k.commit(c);
  { ck.cost(c) } -> std::convertible_to<double>;
};

}  // namespace epara
