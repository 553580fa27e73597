#pragma once
// Offered load: how much work each service receives, and where it enters the cluster.

#include <algorithm>
#include <cmath>
#include <vector>

#include "epara/error.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/slo.hpp"
#include "epara/units.hpp"

namespace epara {

/// The load of one service at one origin server. Latency-sensitive services receive `rate`
/// requests per second; frequency-sensitive services receive `streams` concurrent streams, each
/// at its SLO's rate.
struct Demand {
  ServiceId service{};
  ServerId origin{};
  Rate rate{};      ///< requests per second (latency-sensitive services)
  int streams = 0;  ///< concurrent streams (frequency-sensitive services)

  /// Items (requests, or stream items) per second.
  Rate items(const Slo& slo) const noexcept {
    return slo.is_latency() ? rate : slo.rate * static_cast<double>(streams);
  }
  /// This demand times `factor`: the rate scaled, the streams rounded to the nearest.
  Demand scaled(double factor) const {
    Demand d = *this;
    d.rate = rate * factor;
    d.streams = static_cast<int>(std::lround(streams * factor));
    return d;
  }
  friend bool operator==(const Demand&, const Demand&) = default;
};

/// The demand that `items_per_second` measured of a service entering at `origin` amounts to:
/// that rate for a latency-sensitive service; for a frequency-sensitive one, the nearest whole
/// number of streams at the SLO's rate (at least one: something was measured).
inline Demand demand_measured(ServiceId service, ServerId origin, const Slo& slo,
                              double items_per_second) {
  Demand d{service, origin, Rate{}, 0};
  if (slo.is_latency())
    d.rate = Rate{items_per_second};
  else
    d.streams = std::max(1, static_cast<int>(std::lround(items_per_second / slo.rate.per_second)));
  return d;
}

/// The load of one service summed over origins: what the allocator sizes a plan for.
struct Load {
  Rate rate{};      ///< requests per second (latency-sensitive)
  int streams = 0;  ///< concurrent streams (frequency-sensitive)

  friend bool operator==(const Load&, const Load&) = default;
};

/// Sums `demand` per service into `services` entries (index = service id).
inline std::vector<Load> total_load(const std::vector<Demand>& demand, std::size_t services) {
  std::vector<Load> total(services);
  for (const Demand& d : demand) {
    EPARA_EXPECTS(index_of(d.service) < services, "total_load: service id out of range");
    Load& t = total[index_of(d.service)];
    t.rate = t.rate + d.rate;
    t.streams += d.streams;
  }
  return total;
}

}  // namespace epara
