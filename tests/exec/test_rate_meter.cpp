#include <catch2/catch.hpp>
#include <chrono>
#include <random>

#include "epara/exec/rate_meter.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;

namespace {
Time at(Duration d) { return Time{} + d; }
}  // namespace

TEST_CASE("a rate meter counts items over its window", "[exec]") {
  RateMeter meter(1s, 10);
  CHECK(meter.rate(at(5s)) == 0.0);  // nothing yet
  // 100 items/s from t = 10 s: 1 every 10 ms, 3 s long.
  for (int i = 0; i < 300; ++i) meter.add(at(10s + i * 10ms));
  CHECK(meter.rate(at(12s + 995ms)) == Approx(100.0).epsilon(0.02));
  // Batches of items count as their items.
  RateMeter batches(1s, 10);
  for (int i = 0; i < 20; ++i) batches.add(at(1s + i * 100ms), 8);  // 80/s
  CHECK(batches.rate(at(2s + 950ms)) == Approx(80.0).epsilon(0.06));
  // Forgotten a window after the last arrival.
  CHECK(meter.rate(at(14s + 1ms)) == 0.0);
}

TEST_CASE("a rate meter starting up divides by the time it has seen, at least one bucket",
          "[exec]") {
  RateMeter meter(2s, 10);  // buckets of 200 ms
  meter.add(at(1s));
  CHECK(meter.rate(at(1s)) == Approx(5.0));  // one item over one bucket, not over 0 s
  for (int i = 1; i < 50; ++i) meter.add(at(1s + i * 10ms));  // 100/s for 0.5 s
  CHECK(meter.rate(at(1s + 500ms)) == Approx(100.0).epsilon(0.03));
}

TEST_CASE("a rate meter's estimate of a Poisson process is close and never explodes", "[exec]") {
  // The smoothed items/gap it replaced read one 1 ns gap as 10^9/s; a count over a window has
  // the mean rate and a standard deviation of sqrt(rate / window).
  std::mt19937_64 rng(5);
  for (const double rate : {50.0, 400.0, 3000.0}) {
    RateMeter meter(1s, 10);
    std::exponential_distribution<double> gap(rate);
    double t = 0.0, worst = 0.0;
    while (t < 20.0) {
      t += gap(rng);
      meter.add(at(from_seconds(t)));
      if (t > 2.0) worst = std::max(worst, std::abs(meter.rate(at(from_seconds(t))) - rate));
    }
    INFO("rate " << rate << "/s");
    CHECK(worst < 6.0 * std::sqrt(rate) + 0.1 * rate);  // 6 sigma plus the bucket's part
    CHECK(meter.rate(at(from_seconds(t))) == Approx(rate).epsilon(0.25));
  }
}

TEST_CASE("a rate meter drops arrivals older than its window and rejects bad settings", "[exec]") {
  RateMeter meter(1s, 10);
  for (int i = 0; i < 10; ++i) meter.add(at(5s + i * 100ms));
  meter.add(at(1s), 1000);  // a straggler from before the window
  CHECK(meter.rate(at(5s + 999ms)) == Approx(10.0).epsilon(0.01));
  CHECK_THROWS_AS(RateMeter(0s), InvalidArgument);
  CHECK_THROWS_AS(RateMeter(1s, 0), InvalidArgument);
  CHECK_THROWS_AS(RateMeter(5ns, 10), InvalidArgument);
}
