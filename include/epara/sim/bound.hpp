#pragma once
// The fluid LP bound (epara/bound/fluid_bound.hpp) applied to a simulation run: on the load the
// run offers in its measurement window, and the fewest GPUs with which the bound reaches a target.

#include <vector>

#include "epara/bound/fluid_bound.hpp"
#include "epara/sim/config.hpp"
#include "epara/sim/gpus_needed.hpp"
#include "epara/sim/trace.hpp"

namespace epara::sim {

struct RunBound {
  double offered = 0.0;  ///< items/s the run offers on average over its measurement window
  double goodput = 0.0;  ///< no strategy's mean goodput (items/s in SLO) exceeds this
  /// Per service (index = service id): items/s offered, and items/s it could be served in SLO
  /// with the cluster to itself (0: no strategy can serve any of it).
  std::vector<double> offered_by_service{};
  std::vector<double> alone{};
  /// Max-min fair (FluidBound::fair_*): the attainment every service can reach at once, and
  /// the most goodput with none below it, averaged over the window's load steps.
  double fair_attainment = 0.0;
  double fair_goodput = 0.0;
  /// Attainment the bound allows: goodput / offered (1 when nothing is offered).
  double attainment() const noexcept { return offered > 0.0 ? goodput / offered : 1.0; }
};

/// The bound over the run's measurement window [warmup, duration): one LP per step of the load
/// profile, weighted by its length. Trace requests are binned by work (bins 10% wide, each at its
/// lightest request's work) and counted at their arrival times. Expected rates, not the run's
/// random draws: a run's goodput can exceed it by the noise of its arrivals.
RunBound goodput_bound(const Scenario& scenario, const SimulationConfig& config,
                       const std::vector<TraceRow>& trace = {});

/// The fewest GPUs of the uniformly scaled cluster (scale_cluster) at which the bound's
/// attainment reaches `target`: a lower bound on every strategy's GPUs needed.
GpusNeeded gpus_lower_bound(const Scenario& scenario, const SimulationConfig& config, double target,
                            const std::vector<TraceRow>& trace = {});

}  // namespace epara::sim
