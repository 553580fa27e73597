#pragma once
// GPUs needed: the smallest cluster, scaled uniformly, at which a strategy reaches a target SLO
// attainment on the same workload.

#include <functional>
#include <memory>
#include <vector>

#include "epara/sim/simulator.hpp"

namespace epara::sim {

/// The scenario with every edge server's GPU count scaled by `factor` (rounded, at least one;
/// added GPUs are of the server's first GPU class). Embedded boards and microcomputers keep
/// theirs; the network and the demand stay as they are.
Scenario scale_cluster(const Scenario& scenario, double factor);

/// The faults that still apply to a scaled cluster: a device fault naming a GPU that its
/// scaled-down server no longer has is left out.
std::vector<Fault> faults_within(const Scenario& scaled, std::vector<Fault> faults);

struct GpusNeeded {
  bool reached = false;  ///< false: not even the largest cluster tried reached the target
  double factor = 0.0;   ///< the smallest factor found that reaches it
  int gpus = 0;          ///< GPUs of the cluster at that factor
  /// GPUs of the largest cluster found short of it (0: none was); when not reached, of the
  /// largest cluster tried.
  int gpus_below = 0;
  double attainment = 0.0;  ///< attainment at `factor` (or the best seen when not reached)
  int evaluations = 0;      ///< clusters evaluated
};

/// The smallest uniformly scaled cluster (scale_cluster) whose `attainment_at` reaches `target`,
/// by bisection on the factor: up from 1 by doubling (to `max_factor`) or down by halving (to
/// one GPU per edge server) until the target is bracketed, then halving the bracket until the
/// GPU counts at its ends differ by at most `resolution`. Each cluster is evaluated once.
/// Assumes attainment does not fall as GPUs are added.
GpusNeeded search_gpus(const Scenario& scenario,
                       const std::function<double(const Scenario&)>& attainment_at, double target,
                       int resolution, double max_factor = 8.0);

/// search_gpus over simulated runs of the strategy `make` builds, to within one edge server's
/// GPUs (the largest server's count); attainment averaged over `seeds` runs (config.seed,
/// config.seed + 1, ...), each scaled cluster with its faults_within.
GpusNeeded gpus_needed(const Scenario& scenario, const SimulationConfig& config,
                       const std::function<std::unique_ptr<Strategy>()>& make, double target,
                       const std::vector<TraceRow>& trace, int seeds = 1);

}  // namespace epara::sim
