#pragma once
// Random allocation problems for property tests and benchmarks: a linear-ish one-GPU curve
// (sometimes with a measured 2-GPU curve), a random SLO, memory, pool and load, and the
// category categorize() gives them. Deterministic for a given generator state.

#include <array>
#include <random>

#include "parallel/allocation_fixture.hpp"

namespace epara::testing {

struct RandomCase {
  AllocationFixture f;
  Category category{};
  Load load;
};

inline RandomCase random_case(std::mt19937_64& rng) {
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<>(lo, hi)(rng);
  };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RandomCase c;
  AllocationFixture& f = c.f;
  const int max_batch = std::array{1, 4, 16, 64}[static_cast<std::size_t>(pick(0, 3))];
  const double alpha = uniform(1, 100), beta = uniform(0.1, 20);
  // Non-decreasing measurements with a bend in the middle, so interpolation matters.
  std::vector<ProfilePoint> points{{1, from_ms(alpha + beta)}};
  if (max_batch > 2)
    points.push_back({max_batch / 2, from_ms(alpha + beta * max_batch / 2 * uniform(0.6, 1.0))});
  if (max_batch > 1) points.push_back({max_batch, from_ms(alpha + beta * max_batch)});
  f.profile.curves.push_back({gpu_class, 1, LatencyCurve(points)});
  if (pick(0, 2) == 0) {  // a measured 2-GPU curve, 1.6 times faster
    std::vector<ProfilePoint> two{{1, from_ms((alpha + beta) / 1.6)}};
    if (max_batch > 1) two.push_back({max_batch, from_ms((alpha + beta * max_batch) / 1.6)});
    f.profile.curves.push_back({gpu_class, 2, LatencyCurve(two)});
  }
  f.service.model_memory = Bytes::gib(uniform(1, 100));
  f.service.activation_size = Bytes::kib(uniform(0, 4096));
  const bool latency = pick(0, 1) == 0;
  f.service.slo = latency ? Slo::latency(from_ms(uniform(5, 5000)))
                          : Slo::frequency(Rate{uniform(1, 60)}, from_ms(uniform(10, 1000)));
  const int per_replica = pick(1, 4);
  f.pool = {gpu_class, per_replica, pick(per_replica, 32)};
  c.load = latency ? requests(uniform(0.1, 2000)) : streams(pick(1, 40));

  Cluster cluster;
  cluster.device_classes = f.classes;
  cluster.servers = {{"s",
                      ServerKind::EdgeServer,
                      std::vector<DeviceClassId>(static_cast<std::size_t>(per_replica), gpu_class),
                      {}}};
  cluster.network = Network(1, {});
  c.category = categorize(f.service, f.profile, cluster).category;
  return c;
}

}  // namespace epara::testing
