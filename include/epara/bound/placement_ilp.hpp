#pragma once
// The optimum of a placement problem by integer programming (GLPK's branch and bound), to certify
// how near the greedy scheduler comes on instances too large for exhaustive search.
//
// Variables: the instances of each group (an instance type on a server), integer; the demand
// each demand node sends to each group it reaches within its SLO, continuous. Maximized: the
// weighted demand served, in the ground set's units — FlowObjective's value. Constrained: each
// node's demand; each group's instances × capacity; per server and device class, the devices
// the instances take (devices × compute share) and their memory (devices × memory per device).
//
// Exact where every instance takes whole devices: any multiset of instances whose device count
// fits a server's devices of the class fits on them. With compute shares (multi-task) the device
// rows aggregate a server's devices and leave out co-located tenants' deadlines, so the value is
// an upper bound on the optimum there. Kept instances, load costs and failed devices are not
// modelled: compare with a placement from scratch with loads free.
//
// With serve_every_service, each service must have an instance where some of its demand reaches
// (where that is possible at all), as the scheduler promises.
//
// With max_min, the objective is lexicographic: first the least attainment over the services
// (served / demand, among those some group can serve), then the weighted demand served at that
// attainment — two branch and bounds. Where every instance takes whole devices this is the best
// worst-service attainment any placement of these instance types reaches in the fluid model;
// with compute shares an upper bound on it.

#include <cstdint>
#include <vector>

#include "epara/placement/ground_set.hpp"

namespace epara::bound {

struct PlacementOptimum {
  /// false: no placement serves every service at once (with serve_every_service only); the
  /// other fields are then 0.
  bool feasible = true;
  double value = 0.0;   ///< best weighted served demand found, in units
  double upper = 0.0;   ///< proven upper bound on it (== value when `proven`)
  bool proven = false;  ///< branch and bound finished within the time limit
  // When time runs out before any integer solution is found, value is 0 with no instances and
  // the bounds still hold.
  std::vector<int> instances{};  ///< per group of the ground set: instances placed
  /// The least served / demand over the services some group can serve, in the solution found.
  double worst_attainment = 0.0;
  /// max_min only: proven upper bound on the best worst attainment (== worst_attainment when
  /// the first solve finished; its LP relaxation's otherwise).
  double worst_upper = 0.0;
};

struct PlacementIlpOptions {
  /// Branch and bound stops after this many seconds with the best solution found and the bound
  /// proven so far.
  double time_limit_s = 60.0;
  /// Every service that some group can serve gets an instance where some of its demand
  /// reaches: the optimum under SchedulerOptions::serve_every_service's promise.
  bool serve_every_service = false;
  /// Maximize the worst service's attainment first, then the weighted demand served; each of
  /// the two solves gets `time_limit_s`.
  bool max_min = false;
};

/// Solves the placement integer program of `ground`. Throws Error if GLPK fails.
PlacementOptimum optimal_placement(const GroundSet& ground,
                                   const PlacementIlpOptions& options = {});

}  // namespace epara::bound
