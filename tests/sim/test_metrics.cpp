// What a run reports per service: latency percentiles, the worst service, fairness.

#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "epara/sim/metrics.hpp"

using namespace epara;
using namespace epara::sim;

TEST_CASE("latency percentiles fall within one 2% bucket of the exact ones", "[sim]") {
  std::mt19937_64 rng(20261201);
  for (int trial = 0; trial < 20; ++trial) {
    // Latencies from 0.1 ms to minutes, log-normal around a random median.
    std::lognormal_distribution<> latency(std::uniform_real_distribution<>(-8, 2)(rng), 1.5);
    std::vector<double> samples(std::uniform_int_distribution<std::size_t>(1, 5000)(rng));
    LatencyHistogram h;
    for (double& x : samples) h.record(x = latency(rng));
    std::sort(samples.begin(), samples.end());
    REQUIRE(h.count() == samples.size());
    for (double q : {0.01, 0.5, 0.95, 0.99, 1.0}) {
      const auto rank =
          static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
      const double exact = samples[std::max<std::size_t>(rank, 1) - 1];
      REQUIRE(h.quantile(q) == Approx(exact).epsilon(0.02));
    }
  }
  CHECK(LatencyHistogram{}.quantile(0.99) == 0.0);
}

TEST_CASE("a latency CDF is the histogram's quantiles, rising, ending at the largest", "[sim]") {
  std::mt19937_64 rng(20261206);
  for (int trial = 0; trial < 20; ++trial) {
    std::lognormal_distribution<> latency(std::uniform_real_distribution<>(-8, 2)(rng), 1.5);
    LatencyHistogram h;
    const auto n = std::uniform_int_distribution<int>(1, 5000)(rng);
    double largest = 0.0;
    for (int i = 0; i < n; ++i) {
      const double x = latency(rng);
      h.record(x);
      largest = std::max(largest, x);
    }
    const auto cdf = h.cdf();
    REQUIRE(cdf.size() == 102);
    for (std::size_t k = 0; k < cdf.size(); ++k) {
      REQUIRE(cdf[k].first == h.quantile(cdf[k].second));
      if (k > 0) {
        REQUIRE(cdf[k].second > cdf[k - 1].second);
        REQUIRE(cdf[k].first >= cdf[k - 1].first);
      }
    }
    CHECK(cdf.front().second == 0.01);
    CHECK(cdf.back().second == 1.0);
    CHECK(cdf.back().first == Approx(largest).epsilon(0.02));
  }
  CHECK(LatencyHistogram{}.cdf().empty());
}

TEST_CASE("the worst service and Jain's index count only services offered anything", "[sim]") {
  RunMetrics m;
  const auto service = [](std::uint32_t id, std::uint64_t offered, std::uint64_t served) {
    ServiceMetrics s;
    s.service = id_at<ServiceId>(id);
    s.offered = offered;
    s.served = served;
    s.rejected[0] = offered - served;
    return s;
  };
  m.services = {service(0, 10, 10), service(1, 10, 5), service(2, 0, 0), service(3, 20, 0)};
  REQUIRE(m.worst_service() != nullptr);
  CHECK(m.worst_service()->service == id_at<ServiceId>(3));
  // Attainments 1, 0.5, 0: (1.5)² / (3 × 1.25) = 0.6.
  CHECK(m.fairness() == Approx(0.6));
  m.services = {service(0, 10, 10), service(1, 4, 4)};
  CHECK(m.fairness() == Approx(1.0));
  m.services = {service(0, 10, 10), service(1, 10, 0), service(2, 10, 0), service(3, 10, 0)};
  CHECK(m.fairness() == Approx(0.25));  // one of four served: 1/n
  m.services = {service(0, 0, 0)};
  CHECK(m.worst_service() == nullptr);
}
