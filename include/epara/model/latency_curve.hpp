#pragma once
// Latency as a function of batch size, for one device class and one replica size.

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "epara/error.hpp"
#include "epara/units.hpp"

namespace epara {

/// One measurement: a pass over `batch` items took `latency`.
struct ProfilePoint {
  int batch = 1;
  Duration latency{};
  friend bool operator==(const ProfilePoint&, const ProfilePoint&) = default;
};

/// latency(b) ≈ alpha + beta · b, in nanoseconds.
struct LinearFit {
  double alpha_ns = 0.0;  ///< fixed cost of a pass
  double beta_ns = 0.0;   ///< marginal cost of one more item

  double at(double batch) const noexcept { return alpha_ns + beta_ns * batch; }
};

/// Least-squares fit of alpha + beta·b to the points, constrained to alpha, beta >= 0 (a pass
/// never gets faster with more items, nor costs less than nothing). One point gives the
/// proportional fit alpha = 0, which assumes no gain from batching: the cautious guess.
inline LinearFit fit_linear(const std::vector<ProfilePoint>& points) {
  EPARA_EXPECTS(!points.empty(), "fit_linear: no points");
  const auto n = static_cast<Eigen::Index>(points.size());
  Eigen::VectorXd b(n), y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& p = points[static_cast<std::size_t>(i)];
    b(i) = p.batch;
    y(i) = static_cast<double>(p.latency.count());
  }
  const auto proportional = [&] { return LinearFit{0.0, b.dot(y) / b.dot(b)}; };
  if (n == 1 || (b.array() == b(0)).all()) return proportional();

  Eigen::MatrixXd design(n, 2);
  design.col(0).setOnes();
  design.col(1) = b;
  const Eigen::Vector2d coef = design.colPivHouseholderQr().solve(y);
  if (coef(1) < 0.0) return LinearFit{y.mean(), 0.0};  // flat is the best non-decreasing fit
  if (coef(0) < 0.0) return proportional();            // best fit through the origin
  return LinearFit{coef(0), coef(1)};
}

/// Latency by batch size from measured points. Measured batches return their measurement;
/// batches between two measurements are interpolated linearly; batches outside the measured
/// range follow the least-squares fit, clamped so that a smaller batch is never slower than the
/// smallest measured one nor a larger batch faster than the largest measured one.
class LatencyCurve {
 public:
  /// Largest batch a curve may describe; larger values are surely typos.
  static constexpr int batch_limit = 1 << 16;

  LatencyCurve() = default;

  /// `max_batch` = 0 means "the largest measured batch". Throws InvalidArgument for no points,
  /// a batch < 1, a repeated batch, a non-positive latency, or max_batch below a measured batch.
  explicit LatencyCurve(std::vector<ProfilePoint> points, int max_batch = 0)
      : points_(std::move(points)) {
    EPARA_EXPECTS(!points_.empty(), "LatencyCurve: no measured points");
    std::sort(points_.begin(), points_.end(),
              [](const ProfilePoint& x, const ProfilePoint& y) { return x.batch < y.batch; });
    for (std::size_t i = 0; i < points_.size(); ++i) {
      const ProfilePoint& p = points_[i];
      EPARA_EXPECTS(p.batch >= 1, fmt::format("LatencyCurve: batch {} must be >= 1", p.batch));
      EPARA_EXPECTS(p.latency > Duration::zero(),
                    fmt::format("LatencyCurve: latency at batch {} must be > 0", p.batch));
      EPARA_EXPECTS(i == 0 || points_[i - 1].batch != p.batch,
                    fmt::format("LatencyCurve: batch {} measured twice", p.batch));
    }
    max_batch_ = max_batch == 0 ? points_.back().batch : max_batch;
    EPARA_EXPECTS(max_batch_ >= points_.back().batch,
                  fmt::format("LatencyCurve: max_batch {} is below the measured batch {}",
                              max_batch_, points_.back().batch));
    EPARA_EXPECTS(max_batch_ <= batch_limit,
                  fmt::format("LatencyCurve: max_batch {} exceeds {}", max_batch_, batch_limit));
    fit_ = fit_linear(points_);
  }

  /// Predicted latency of one pass over `batch` items; 1 <= batch <= max_batch().
  Duration latency(int batch) const {
    EPARA_EXPECTS(batch >= 1 && batch <= max_batch_,
                  fmt::format("LatencyCurve: batch {} outside [1, {}]", batch, max_batch_));
    const auto upper = std::lower_bound(points_.begin(), points_.end(), batch,
                                        [](const ProfilePoint& p, int b) { return p.batch < b; });
    if (upper != points_.end() && upper->batch == batch) return upper->latency;
    if (upper == points_.begin()) return from_fit(batch, Duration{1}, upper->latency);
    if (upper == points_.end()) {
      return from_fit(batch, points_.back().latency, Duration::max());
    }
    const ProfilePoint& lo = *(upper - 1);
    const double t = static_cast<double>(batch - lo.batch) / (upper->batch - lo.batch);
    const auto span = static_cast<double>((upper->latency - lo.latency).count());
    return lo.latency + Duration{std::llround(t * span)};
  }

  /// Items per second of back-to-back passes at `batch`.
  Rate throughput(int batch) const { return Rate::of(batch, latency(batch)); }

  int max_batch() const noexcept { return max_batch_; }
  const std::vector<ProfilePoint>& points() const noexcept { return points_; }
  const LinearFit& fit() const noexcept { return fit_; }

  friend bool operator==(const LatencyCurve& x, const LatencyCurve& y) {
    return x.points_ == y.points_ && x.max_batch_ == y.max_batch_;
  }

 private:
  Duration from_fit(int batch, Duration lowest, Duration highest) const {
    const Duration predicted{std::llround(fit_.at(batch))};
    return std::clamp(predicted, lowest, highest);
  }

  std::vector<ProfilePoint> points_;
  int max_batch_ = 0;
  LinearFit fit_;
};

}  // namespace epara
