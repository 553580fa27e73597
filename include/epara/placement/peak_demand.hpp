#pragma once
// The demand a periodic placement plans for: per service and origin, the peak of the last few
// periods' measurements. Demand is noisy and loads take seconds, so capacity follows demand up
// at once and down only when a few periods in a row have measured less.

#include <algorithm>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "epara/error.hpp"
#include "epara/model/demand.hpp"

namespace epara {

class PeakDemand {
 public:
  explicit PeakDemand(std::size_t periods = 3) : periods_(periods) {
    EPARA_EXPECTS(periods > 0, "PeakDemand: remember at least one period");
  }

  /// Records one period's measurement; the peak over the last `periods` recorded, ordered by
  /// (service, origin).
  std::vector<Demand> add(std::vector<Demand> measured) {
    history_.push_back(std::move(measured));
    if (history_.size() > periods_) history_.pop_front();
    std::map<std::pair<ServiceId, ServerId>, Demand> peak;
    for (const auto& period : history_)
      for (const Demand& d : period) {
        Demand& p = peak.try_emplace({d.service, d.origin}, d).first->second;
        p.rate = Rate{std::max(p.rate.per_second, d.rate.per_second)};
        p.streams = std::max(p.streams, d.streams);
      }
    std::vector<Demand> out;
    out.reserve(peak.size());
    for (auto& [key, d] : peak) out.push_back(d);
    return out;
  }

 private:
  std::size_t periods_;
  std::deque<std::vector<Demand>> history_;
};

}  // namespace epara
