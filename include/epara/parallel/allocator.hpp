#pragma once
// The task-categorized parallelism allocator: one policy per category, one cost model.

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "epara/categorize.hpp"
#include "epara/parallel/default_policies.hpp"
#include "epara/parallel/policy.hpp"

namespace epara {

/// Chooses, for one service on one device pool, the plan that meets its SLO on the fewest
/// devices. Which modes are tried depends on the service's category: each category has its
/// own policy, a value type modelling AllocationPolicy; replace any of them by passing your own
/// (examples/custom_policy.cpp). Stateless after construction: allocate() is const and safe to
/// call from several threads.
template <AllocationPolicy Ls1 = OneGpuPolicy, AllocationPolicy LsN = SeveralGpusPolicy,
          AllocationPolicy Fs1 = OneGpuPolicy, AllocationPolicy FsN = SeveralGpusPolicy>
class Allocator {
 public:
  Allocator() = default;
  explicit Allocator(CostModel model) : model_(model) {}
  Allocator(Ls1 ls1, LsN ls_n, Fs1 fs1, FsN fs_n, CostModel model = {})
      : ls1_(ls1), ls_n_(ls_n), fs1_(fs1), fs_n_(fs_n), model_(model) {}

  const CostModel& cost_model() const noexcept { return model_; }

  /// The least-cost feasible plan, or an infeasible Allocation with its reason and the closest
  /// plan. Throws InvalidArgument for a malformed problem: a load that is not positive and
  /// finite, a pool that names an unknown class or has no devices, or a category whose
  /// sensitivity contradicts the SLO.
  Allocation allocate(const AllocationProblem& problem) const {
    check(problem);
    PlanSearch search(problem, model_);
    switch (problem.category) {
      case Category::LatencyOneGpu:
        ls1_.propose(problem, search);
        break;
      case Category::LatencySeveralGpus:
        ls_n_.propose(problem, search);
        break;
      case Category::FrequencyOneGpu:
        fs1_.propose(problem, search);
        break;
      case Category::FrequencySeveralGpus:
        fs_n_.propose(problem, search);
        break;
    }
    return search.result();
  }

 private:
  static void check(const AllocationProblem& p) {
    const auto where = fmt::format("allocate '{}'", p.service.name);
    EPARA_EXPECTS(index_of(p.pool.device_class) < p.classes.size(),
                  where + ": the pool's device class is not in the class table");
    EPARA_EXPECTS(p.pool.max_per_replica >= 1 && p.pool.total >= p.pool.max_per_replica,
                  fmt::format("{}: pool needs 1 <= max_per_replica <= total (got {} and {})", where,
                              p.pool.max_per_replica, p.pool.total));
    const Slo& slo = p.service.slo;
    EPARA_EXPECTS(slo.deadline > Duration::zero(), where + ": the SLO deadline must be > 0");
    EPARA_EXPECTS(sensitivity_of(p.category) == slo.sensitivity,
                  fmt::format("{}: category {} contradicts a {} SLO", where, code(p.category),
                              to_string(slo.sensitivity)));
    if (slo.is_latency()) {
      const double r = p.load.rate.per_second;
      EPARA_EXPECTS(std::isfinite(r) && r > 0.0,
                    fmt::format("{}: the request rate must be finite and > 0 (got {})", where, r));
    } else {
      EPARA_EXPECTS(std::isfinite(slo.rate.per_second) && slo.rate.per_second > 0.0,
                    where + ": the stream rate of the SLO must be finite and > 0");
      EPARA_EXPECTS(p.load.streams >= 1,
                    fmt::format("{}: needs >= 1 stream (got {})", where, p.load.streams));
    }
  }

  Ls1 ls1_{};
  LsN ls_n_{};
  Fs1 fs1_{};
  FsN fs_n_{};
  CostModel model_{};
};

/// A service's category and its allocation on the best device pool of a cluster.
struct ServiceAllocation {
  Categorization categorization;
  Allocation allocation;
};

/// Cost of a plan across pools in GPU-equivalents: devices × the class's relative speed for
/// GPUs, zero for CPUs (so idle microcomputers are used before any GPU).
inline double gpu_equivalents(const Plan& plan, const Cluster& cluster) {
  const DeviceClass& cls = cluster.device_class(plan.device_class);
  return cls.kind == DeviceKind::Gpu ? plan.devices() * cls.relative_speed : 0.0;
}

/// Categorizes the scenario's service `id` and allocates it on every device pool of the
/// cluster, keeping the plan of least GPU-equivalent cost (then fewest devices, then lowest
/// worst latency); when no pool is feasible, the closest infeasible answer.
template <class AllocatorType>
ServiceAllocation allocate_service(const AllocatorType& allocator, const Scenario& scenario,
                                   ServiceId id, Load load) {
  const ServiceSpec& service = scenario.service(id);
  const Profile& profile = scenario.profile_of(service);
  ServiceAllocation out{categorize(service, profile, scenario.cluster), {}};
  std::optional<Allocation> best;
  const auto cost = [&](const Allocation& a) { return gpu_equivalents(a.plan, scenario.cluster); };
  for (const GpuPool& pool : device_pools(scenario.cluster)) {
    Allocation a = allocator.allocate({service, profile, out.categorization.category,
                                       scenario.cluster.device_classes, pool, load});
    if (!best) {
      best = std::move(a);
    } else if (a.feasible() != best->feasible()) {
      if (a.feasible()) best = std::move(a);
    } else if (a.feasible()) {
      const bool cheaper =
          cost(a) < cost(*best) ||
          (cost(a) == cost(*best) && (a.plan.devices() < best->plan.devices() ||
                                      (a.plan.devices() == best->plan.devices() &&
                                       a.plan.worst_latency < best->plan.worst_latency)));
      if (cheaper) best = std::move(a);
    } else if (a.status > best->status) {  // later statuses got further (see AllocationStatus)
      best = std::move(a);
    }
  }
  EPARA_EXPECTS(best.has_value(), "allocate_service: the cluster has no devices");
  out.allocation = std::move(*best);
  return out;
}

}  // namespace epara
