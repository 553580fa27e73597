#pragma once
// Helpers for the GPU tests: random inputs without zeros, a result's output, and its relative
// error.

#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "epara/exec/outcome.hpp"

namespace epara::test {

/// Values in ±[0.05, 1], never zero (a zero input would hide a missing copy or a stale buffer).
inline std::vector<float> nonzero_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> magnitude(0.05f, 1.0f);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> v(n);
  for (float& x : v) x = negative(rng) ? -magnitude(rng) : magnitude(rng);
  return v;
}

/// ‖got − want‖ / ‖want‖ (∞ when the sizes differ).
inline double relative_error(std::span<const float> got, std::span<const float> want) {
  if (got.size() != want.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff += (double{got[i]} - want[i]) * (double{got[i]} - want[i]);
    norm += double{want[i]} * want[i];
  }
  return std::sqrt(diff / norm);
}

/// An FP32 result's one output.
inline std::span<const float> output_of(const exec::Result& r) {
  return r.outputs.at(0).values<float>();
}

}  // namespace epara::test
