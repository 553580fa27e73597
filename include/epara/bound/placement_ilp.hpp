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

#include <cstdint>
#include <vector>

#include "epara/placement/ground_set.hpp"

namespace epara::bound {

struct PlacementOptimum {
  double value = 0.0;            ///< best weighted served demand found, in units
  double upper = 0.0;            ///< proven upper bound on it (== value when `proven`)
  bool proven = false;           ///< branch and bound finished within the time limit
  std::vector<int> instances{};  ///< per group of the ground set: instances placed
};

/// Solves the placement integer program of `ground`; stops after `time_limit_s` seconds with
/// the best solution found and the bound proven so far. Throws Error if GLPK fails.
PlacementOptimum optimal_placement(const GroundSet& ground, double time_limit_s = 60.0);

}  // namespace epara::bound
