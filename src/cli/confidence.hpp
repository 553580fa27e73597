#pragma once
// A figure measured over several seeds: its mean and the half-width of its 95% confidence
// interval (Student's t, since a handful of seeds is the usual case).

#include <array>
#include <cmath>
#include <vector>

namespace epara::cli {

struct Estimate {
  double mean = 0.0;
  double half_width = 0.0;  ///< 0 for a single sample
};

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom (df >= 1).
inline double student_t95(std::size_t df) {
  static constexpr std::array<double, 30> table{
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df >= 1 && df <= table.size()) return table[df - 1];
  return 1.96 + 2.37 / static_cast<double>(df);  // within 0.002 of the exact value beyond 30
}

inline Estimate estimate(const std::vector<double>& samples) {
  Estimate e;
  if (samples.empty()) return e;
  for (double x : samples) e.mean += x;
  e.mean /= static_cast<double>(samples.size());
  if (samples.size() < 2) return e;
  double squares = 0.0;
  for (double x : samples) squares += (x - e.mean) * (x - e.mean);
  const double sd = std::sqrt(squares / static_cast<double>(samples.size() - 1));
  e.half_width =
      student_t95(samples.size() - 1) * sd / std::sqrt(static_cast<double>(samples.size()));
  return e;
}

}  // namespace epara::cli
