#pragma once
// Latencies of a run's completed requests in logarithmic buckets (2% wide, 1 µs to ~5 h), so
// that percentiles cost a fixed 1,200 counters per service however long the run.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace epara::sim {

class LatencyHistogram {
 public:
  static constexpr double smallest_s = 1e-6;
  static constexpr double growth = 1.02;  ///< bucket i holds [smallest·growth^i, ·growth^(i+1))
  static constexpr std::size_t buckets = 1200;

  void record(double seconds) noexcept {
    ++counts_[bucket_of(seconds)];
    ++count_;
  }
  std::uint64_t count() const noexcept { return count_; }

  /// The q-quantile (0 < q <= 1) within one bucket (2%): the geometric middle of the bucket
  /// holding the ⌈q·count⌉-th smallest latency; 0 when nothing was recorded.
  double quantile(double q) const noexcept {
    if (count_ == 0) return 0.0;
    const auto rank = static_cast<std::uint64_t>(
        std::max(1.0, std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return smallest_s * std::pow(growth, static_cast<double>(i) + 0.5);
    }
    return smallest_s * std::pow(growth, static_cast<double>(buckets));
  }

  /// The distribution at the quantiles a latency CDF is drawn from: (quantile(q), q) for q =
  /// 1%, 2%, …, 99%, then 99.5%, 99.9% and 100% (the tail, where SLOs are decided); empty when
  /// nothing was recorded.
  std::vector<std::pair<double, double>> cdf() const {
    std::vector<std::pair<double, double>> out;
    if (count_ == 0) return out;
    for (int k = 1; k <= 99; ++k) out.emplace_back(quantile(k / 100.0), k / 100.0);
    for (const double q : {0.995, 0.999, 1.0}) out.emplace_back(quantile(q), q);
    return out;
  }

 private:
  static std::size_t bucket_of(double seconds) noexcept {
    if (!(seconds > smallest_s)) return 0;
    const double i = std::log(seconds / smallest_s) / std::log(growth);
    return std::min(buckets - 1, static_cast<std::size_t>(i));
  }

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
};

}  // namespace epara::sim
