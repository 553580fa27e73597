#pragma once
// A small world for allocator tests: one GPU class (40 GiB, speed 1) and one CPU class, a
// service whose SLO, memory and profile each test sets.

#include <vector>

#include "epara/parallel/allocator.hpp"

namespace epara::testing {

using namespace epara::literals;

inline constexpr DeviceClassId gpu_class{0};
inline constexpr DeviceClassId cpu_class{1};

struct AllocationFixture {
  std::vector<DeviceClass> classes{{"gpu", DeviceKind::Gpu, 40_GiB, 1.0},
                                   {"cpu", DeviceKind::Cpu, 8_GiB, 1.0}};
  Profile profile{"p", "test", {}};
  ServiceSpec service{"svc", Slo::latency(100ms), 10_GiB, ProfileId{0}, 1_KiB, {}};
  GpuPool pool{gpu_class, 1, 8};

  /// Adds a curve latency(b) = alpha + beta·b ms measured at batches 1 and max_batch.
  void linear_curve(double alpha_ms, double beta_ms, int max_batch, int gpus = 1,
                    DeviceClassId cls = gpu_class) {
    profile.curves.push_back(
        {cls, gpus,
         LatencyCurve({{1, from_ms(alpha_ms + beta_ms)},
                       {max_batch, from_ms(alpha_ms + beta_ms * max_batch)}})});
  }

  AllocationProblem problem(Category category, Load load) const {
    return {service, profile, category, classes, pool, load};
  }

  template <class AllocatorType = Allocator<>>
  Allocation allocate(Category category, Load load, const AllocatorType& a = {}) const {
    return a.allocate(problem(category, load));
  }
};

/// Requests per second, as a Load.
inline Load requests(double per_second) { return {Rate{per_second}, 0}; }
/// Concurrent streams, as a Load.
inline Load streams(int count) { return {Rate{}, count}; }

}  // namespace epara::testing
