#include <random>

#include <catch2/catch.hpp>

#include "epara/model/latency_curve.hpp"

using namespace epara;
using namespace std::chrono_literals;

namespace {
std::vector<ProfilePoint> line(double alpha_ms, double beta_ms, std::vector<int> batches) {
  std::vector<ProfilePoint> points;
  for (int b : batches) points.push_back({b, from_ms(alpha_ms + beta_ms * b)});
  return points;
}
}  // namespace

TEST_CASE("measured batches return their measurement") {
  const LatencyCurve c({{1, 10ms}, {8, 24ms}, {32, 70ms}});
  CHECK(c.latency(1) == 10ms);
  CHECK(c.latency(8) == 24ms);
  CHECK(c.latency(32) == 70ms);
  CHECK(c.max_batch() == 32);
}

TEST_CASE("batches between measurements are interpolated linearly") {
  const LatencyCurve c({{8, 24ms}, {1, 10ms}});  // order of points does not matter
  // 10 ms + (4-1)/(8-1) × 14 ms = 16 ms
  CHECK(c.latency(4) == 16ms);
  CHECK(c.latency(2) == 12ms);
  CHECK(c.throughput(8).per_second == Approx(8 / 0.024));
}

TEST_CASE("a least-squares fit recovers alpha and beta from noisy points") {
  // Property over random lines with 2% Gaussian noise on 12 batches (fixed seed).
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> alpha_ms(0.5, 50.0), beta_ms(0.05, 10.0);
  std::normal_distribution<double> noise(1.0, 0.02);
  for (int trial = 0; trial < 200; ++trial) {
    const double a = alpha_ms(rng), b = beta_ms(rng);
    std::vector<ProfilePoint> points;
    for (int batch : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64})
      points.push_back({batch, from_ms((a + b * batch) * noise(rng))});
    const LinearFit fit = fit_linear(points);
    // Noise of 2% on latencies up to a + 64b bounds the error on each coefficient.
    const double scale = (a + 64 * b) * 1e6;
    REQUIRE(fit.alpha_ns == Approx(a * 1e6).margin(0.04 * scale));
    REQUIRE(fit.beta_ns == Approx(b * 1e6).margin(0.04 * scale / 32));
  }
}

TEST_CASE("an exact line is recovered exactly and extrapolated beyond the measurements") {
  const LatencyCurve c(line(8, 2, {1, 2, 4}), 16);
  CHECK(c.fit().alpha_ns == Approx(8e6));
  CHECK(c.fit().beta_ns == Approx(2e6));
  CHECK(c.latency(8) == 24ms);
  CHECK(c.latency(16) == 40ms);
  const LatencyCurve below(line(8, 2, {4, 8}));
  CHECK(below.max_batch() == 8);    // defaults to the largest measured batch
  CHECK(below.latency(1) == 10ms);  // from the fit, under the smallest measurement
}

TEST_CASE("the fit never has a negative slope or intercept") {
  SECTION("latencies falling with batch (noise) fit flat at their mean") {
    const LatencyCurve c({{1, 10ms}, {2, 9ms}, {3, 8ms}}, 4);
    CHECK(c.fit().beta_ns == 0.0);
    CHECK(c.fit().alpha_ns == Approx(9e6));
    CHECK(c.latency(4) == 9ms);  // the flat fit, which is above the last point (8 ms)
  }
  SECTION("a line through negative intercept becomes proportional") {
    // Unconstrained: beta 4.5 ms, alpha -8 ms. Through the origin: (2·1 + 4·10)/(4 + 16) = 2.1.
    const LatencyCurve c({{2, 1ms}, {4, 10ms}}, 8);
    CHECK(c.fit().alpha_ns == 0.0);
    CHECK(c.fit().beta_ns == Approx(2.1e6));
    CHECK(c.latency(1) == 1ms);  // clamped: never slower than the smallest measured batch
    CHECK(c.latency(8) == Duration{16'800'000});
  }
  SECTION("one point gives the proportional fit (no assumed batching gain)") {
    const LatencyCurve c({{4, 20ms}}, 8);
    CHECK(c.latency(8) == 40ms);
    CHECK(c.latency(2) == 10ms);
  }
}

TEST_CASE("latency is non-decreasing in batch when the measurements are") {
  // Property over random non-decreasing measurements and random measured batch sets.
  std::mt19937_64 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<ProfilePoint> points;
    Duration latency = from_ms(std::uniform_real_distribution<double>(0.1, 20)(rng));
    int batch = std::uniform_int_distribution<int>(1, 6)(rng);
    const int count = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int i = 0; i < count; ++i) {
      points.push_back({batch, latency});
      batch += std::uniform_int_distribution<int>(1, 10)(rng);
      latency += from_ms(std::uniform_real_distribution<double>(0.0, 15)(rng));
    }
    const LatencyCurve c(points, batch + 20);
    for (int b = 1; b < c.max_batch(); ++b) REQUIRE(c.latency(b) <= c.latency(b + 1));
    for (const ProfilePoint& p : points) REQUIRE(c.latency(p.batch) == p.latency);
    for (int b = 1; b <= c.max_batch(); ++b) REQUIRE(c.latency(b) > Duration::zero());
  }
}

TEST_CASE("invalid curves are rejected with a reason") {
  CHECK_THROWS_WITH(LatencyCurve(std::vector<ProfilePoint>{}),
                    Catch::Contains("no measured points"));
  CHECK_THROWS_WITH(LatencyCurve({{0, 1ms}}), Catch::Contains("batch 0 must be >= 1"));
  CHECK_THROWS_WITH(LatencyCurve({{2, 1ms}, {2, 3ms}}), Catch::Contains("batch 2 measured twice"));
  CHECK_THROWS_WITH(LatencyCurve({{1, 0ms}}), Catch::Contains("must be > 0"));
  CHECK_THROWS_WITH(LatencyCurve({{8, 1ms}}, 4), Catch::Contains("below the measured batch 8"));
  CHECK_THROWS_WITH(LatencyCurve({{1, 1ms}}, LatencyCurve::batch_limit + 1),
                    Catch::Contains("exceeds"));
  const LatencyCurve c({{1, 1ms}, {4, 2ms}});
  CHECK_THROWS_AS(c.latency(0), InvalidArgument);
  CHECK_THROWS_WITH(c.latency(5), Catch::Contains("batch 5 outside [1, 4]"));
}
