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

struct GpusNeeded {
  bool reached = false;     ///< false: not even the largest factor tried reached the target
  double factor = 0.0;      ///< the smallest factor tried that reached it
  int gpus = 0;             ///< GPUs of the cluster at that factor
  double attainment = 0.0;  ///< attainment there (or the best seen when not reached)
};

/// Tries `factors` in increasing order and stops at the first that reaches `target`. A device
/// fault naming a GPU that a scaled-down server no longer has is left out of that run.
GpusNeeded gpus_needed(const Scenario& scenario, const SimulationConfig& config,
                       const std::function<std::unique_ptr<Strategy>()>& make, double target,
                       const std::vector<double>& factors, const std::vector<TraceRow>& trace);

}  // namespace epara::sim
