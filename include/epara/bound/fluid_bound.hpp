#pragma once
// An upper bound on goodput that no allocator can exceed: the fluid relaxation of serving a
// scenario, solved as a linear program (GLPK).
//
// Relaxed: devices are shared in arbitrarily fine time slices with no interference, a replica's
// memory need only fit the devices it runs on (not next to other models), queueing and batch
// formation cost nothing, and the network carries any volume. Kept: a request of service s from
// origin o can be served in SLO on a device of class c at server v only by a pass whose latency
// plus the least possible o→v transfer fits the deadline, and such passes serve at most
// b / (k · interval(b)) items per device-second (k devices per replica, batch b). The best such
// rate per (s, o, v, c) is the LP's coefficient; the LP maximizes the items served subject to
// the offered rates and to each server's device-seconds per second.

#include <optional>
#include <span>
#include <vector>

#include "epara/model/scenario.hpp"
#include "epara/placement/ground_set.hpp"

namespace epara::bound {

/// Items per second offered to one service at one origin. `work` scales the cost of every pass
/// over them (1: the profile's; a trace's light requests < 1).
struct OfferedRate {
  ServiceId service{};
  ServerId origin{};
  double items_per_s = 0.0;
  double work = 1.0;
};

/// Servers and devices out of service while a bound applies (a simulation's faults): their
/// devices serve nothing, and requests arriving at a down server are lost there (the simulator
/// rejects them, ServerFailed), so the LP counts them offered and never served. Payloads still
/// cross a down server on their way elsewhere, as in the simulator.
struct Outage {
  std::vector<ServerId> servers{};
  std::vector<DeviceRef> devices{};
};

struct FluidBound {
  double offered = 0.0;  ///< items/s offered
  double goodput = 0.0;  ///< the LP optimum: items/s served within SLO, at most `offered`
  /// Items/s of each service in one optimal solution (index = service id; the split between
  /// services is not unique, the total is).
  std::vector<double> per_service{};
  /// Items/s each service could be served within SLO with the whole cluster to itself: 0 means
  /// no allocator can serve it at all.
  std::vector<double> alone{};
  /// Device-seconds per second the optimum keeps busy, over GPUs and CPUs.
  double devices_busy = 0.0;
  /// Max-min fairness: the largest attainment every service offered anything can reach at
  /// once (0 when some service cannot be served at all), and the most goodput with none below.
  double fair_attainment = 0.0;
  double fair_goodput = 0.0;
};

/// Solves the fluid LP. Throws InvalidArgument for an id out of range or a negative rate, and
/// Error when the solver fails.
FluidBound fluid_bound(const Scenario& scenario, std::span<const OfferedRate> offered,
                       const Outage& outage = {});

/// The most goodput with every service offered anything served at least `floor` of it (the
/// goodput–fairness frontier between goodput and fair_goodput); nullopt when floor exceeds
/// fair_attainment. Only `goodput` and `per_service` are filled.
std::optional<FluidBound> fluid_bound_with_floor(const Scenario& scenario,
                                                 std::span<const OfferedRate> offered, double floor,
                                                 const Outage& outage = {});

/// The scenario's declared demand (times `load_scale`) as offered rates: a latency service's
/// requests per second, a frequency service's streams × its SLO rate (streams rounded as the
/// simulator rounds them).
std::vector<OfferedRate> declared_rates(const Scenario& scenario, double load_scale);

}  // namespace epara::bound
