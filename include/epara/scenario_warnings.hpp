#pragma once
// What a valid scenario may still hold that a user should hear of before trusting a run: a
// latency curve that falls as its batch grows (noise in a measurement, or a wrong profile —
// plans then favour the larger batch), and a service with demand that no plan on the cluster
// can serve at all (every request of it will be rejected). The programs print these as
// warnings; a scenario with them still runs.

#include <string>
#include <vector>

#include <fmt/format.h>

#include "epara/parallel/allocator.hpp"

namespace epara {

/// One message per finding, naming the entry as the JSON format does.
inline std::vector<std::string> scenario_warnings(const Scenario& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.profiles.size(); ++i) {
    const Profile& p = s.profiles[i];
    for (std::size_t j = 0; j < p.curves.size(); ++j) {
      const auto& points = p.curves[j].latency.points();  // ascending batch
      int falls = 0;
      double largest = 0.0;
      std::size_t at = 0;
      for (std::size_t k = 1; k < points.size(); ++k) {
        const double before = to_seconds(points[k - 1].latency);
        const double after = to_seconds(points[k].latency);
        if (after >= before) continue;
        ++falls;
        if (1.0 - after / before > largest) {
          largest = 1.0 - after / before;
          at = k;
        }
      }
      if (falls == 0) continue;
      out.push_back(fmt::format(
          "profiles[{}].curves[{}] ('{}' on {}, {} device{}): latency falls as the batch grows "
          "at {} of {} steps, by up to {:.1f}% (batch {} -> {}): noise in the measurement, or "
          "a wrong profile",
          i, j, p.name, s.cluster.device_class(p.curves[j].device_class).name, p.curves[j].gpus,
          p.curves[j].gpus == 1 ? "" : "s", falls, points.size() - 1, 100.0 * largest,
          points[at - 1].batch, points[at].batch));
    }
  }
  const auto loads = total_load(s.demand, s.services.size());
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    if (loads[i].rate.per_second <= 0.0 && loads[i].streams == 0) continue;
    const Allocation a =
        allocate_service(Allocator<>{}, s, id_at<ServiceId>(i), loads[i]).allocation;
    // Too few devices for the whole load still serves part of it; these serve none.
    if (a.feasible() || a.status == AllocationStatus::NotEnoughDevices) continue;
    out.push_back(fmt::format("services[{}] ('{}'): no device of the cluster can serve it ({}: {})",
                              i, s.services[i].name, to_string(a.status), a.reason));
  }
  return out;
}

}  // namespace epara
