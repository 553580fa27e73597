#pragma once
// The default policies: which parallel modes each category may use.
//
//   LS-1  batching, data parallel (replicas), multi-task (a share of one GPU), and model
//         parallel where the profile has a multi-GPU curve (it may allow bigger batches)
//   LS-N  model parallel over k GPUs (profiled curves, or pipeline stages derived from the
//         one-GPU curve) + batching + data parallel
//   FS-1  multi-frame and cross-stream batching, replicas of whole streams, multi-task
//   FS-N  data parallel (a stream's items spread over q replicas) + multi-frame, and model
//         parallel when the model does not fit one GPU
//
// The category's sensitivity decides the load's shape (requests or streams) in PlanSearch, so
// one policy type serves both "-1" categories and one both "-N" categories.

#include <algorithm>

#include "epara/parallel/plan_search.hpp"

namespace epara {

namespace detail {
// Smallest k whose per-device share of the model fits the pool's device class.
inline int smallest_fitting_replica(const AllocationProblem& p) {
  const Bytes memory = p.classes[index_of(p.pool.device_class)].memory;
  for (int k = 1; k <= p.pool.max_per_replica; ++k)
    if (memory_per_device(p.service, k) <= memory) return k;
  return p.pool.max_per_replica;  // nothing fits: PlanSearch reports MemoryExceeded
}
inline bool has_curve(const AllocationProblem& p, int k) {
  return estimate_latency(p.profile, p.classes, p.pool.device_class, k, 1).has_value();
}
// Model-parallel candidates from `first` to the pool's largest replica: profiled curves where
// the profile has them, else pipeline stages derived from the one-device curve.
inline void propose_model_parallel(const AllocationProblem& p, PlanSearch& search, int first,
                                   bool derive_pipeline, int split = 1) {
  for (int k = first; k <= p.pool.max_per_replica; ++k) {
    if (has_curve(p, k)) {
      search.consider({k, TimingSource::Profiled, false, split});
    } else if (derive_pipeline && k > 1) {
      search.consider({k, TimingSource::Pipeline, false, split});
    } else {
      search.consider({k, TimingSource::Profiled, false, split});  // records the gap
    }
  }
}
}  // namespace detail

/// LS-1 and FS-1: one device per replica, as many replicas as the load needs, batching (across
/// requests, or across streams and consecutive items of a stream), or a share of one device.
struct OneGpuPolicy {
  bool multi_task = true;      ///< may take a share of a device when it needs less than one
  bool model_parallel = true;  ///< may use multi-GPU curves the profile has

  void propose(const AllocationProblem& p, PlanSearch& search) const {
    search.consider({1, TimingSource::Profiled, false, 1});
    if (multi_task) search.consider({1, TimingSource::Profiled, true, 1});
    if (!model_parallel) return;
    for (int k = 2; k <= p.pool.max_per_replica; ++k)
      if (detail::has_curve(p, k)) search.consider({k, TimingSource::Profiled, false, 1});
  }
};

/// LS-N and FS-N: replicas of k >= the smallest replica that holds the model, and for streams
/// each stream's items spread over up to `max_split` replicas.
struct SeveralGpusPolicy {
  int max_split = 8;            ///< streams: most replicas one stream's items are spread over
  bool derive_pipeline = true;  ///< pipeline stages where the profile lacks a k-GPU curve

  void propose(const AllocationProblem& p, PlanSearch& search) const {
    const int first = detail::smallest_fitting_replica(p);
    const int splits = p.service.slo.is_latency() ? 1 : max_split;
    for (int q = 1; q <= splits; ++q)
      detail::propose_model_parallel(p, search, first, derive_pipeline, q);
  }
};

}  // namespace epara
