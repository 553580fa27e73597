#pragma once
// Helpers for the GPU tests: random inputs without zeros, and the relative error of a result.

#include <cmath>
#include <random>
#include <vector>

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
inline double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff += (double{got[i]} - want[i]) * (double{got[i]} - want[i]);
    norm += double{want[i]} * want[i];
  }
  return std::sqrt(diff / norm);
}

}  // namespace epara::test
