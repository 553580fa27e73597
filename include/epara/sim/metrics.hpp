#pragma once
// What a run measured. Every request (or stream item) offered after the warmup ends in exactly
// one outcome — served within its SLO, served late, or rejected with a reason — and the counts
// add up to the offered load (RunMetrics::check()).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "epara/categorize.hpp"
#include "epara/handler/decision.hpp"
#include "epara/model/request.hpp"
#include "epara/parallel/mode.hpp"
#include "epara/sim/latency_histogram.hpp"

namespace epara::sim {

inline constexpr std::size_t reject_reasons = 4;  // RejectReason values

struct ServiceMetrics {
  ServiceId service{};
  Category category = Category::LatencyOneGpu;
  std::uint64_t offered = 0;
  std::uint64_t served = 0;  ///< within the SLO
  std::uint64_t late = 0;
  std::array<std::uint64_t, reject_reasons> rejected{};
  std::uint64_t offloads = 0;                         ///< hops taken by its requests
  std::array<std::uint64_t, Route::capacity> hops{};  ///< requests by number of offloads
  double latency_sum_s = 0.0;                         ///< over completed requests (served or late)
  LatencyHistogram latency{};                         ///< of completed requests (served or late)
  /// Completed requests whose pass used each mode of all_modes (a pass may use several): items
  /// of ≥ 2 requests or streams (batching), ≥ 2 items of one stream (multi-frame), a shared
  /// device (multi-task), a replica of several devices (model parallel), ≥ 2 serving replicas
  /// of the service (data parallel).
  std::array<std::uint64_t, all_modes.size()> by_mode{};

  std::uint64_t rejected_total() const noexcept {
    std::uint64_t n = 0;
    for (auto r : rejected) n += r;
    return n;
  }
  std::uint64_t outcomes() const noexcept { return served + late + rejected_total(); }
  /// Of the completed requests, the share whose pass used `m`.
  double mode_share(Mode m) const noexcept {
    const std::uint64_t completed = served + late;
    for (std::size_t k = 0; k < all_modes.size(); ++k)
      if (all_modes[k] == m)
        return completed == 0 ? 0.0
                              : static_cast<double>(by_mode[k]) / static_cast<double>(completed);
    return 0.0;
  }
  /// Served within the SLO / offered (1 when nothing was offered).
  double attainment() const noexcept {
    return offered == 0 ? 1.0 : static_cast<double>(served) / static_cast<double>(offered);
  }
};

struct RunMetrics {
  std::string strategy{};
  Duration measured{};  ///< the measurement window: duration − warmup
  std::vector<ServiceMetrics> services{};
  /// Averaged over the time in the window that devices hosted an instance: their busy time /
  /// that time, and the memory instances held / the memory of the hosting devices.
  double compute_utilization = 0.0;
  double memory_utilization = 0.0;
  int devices_used = 0;  ///< GPUs (and CPUs) that hosted an instance at some time in the window
  int gpus_total = 0;
  std::uint64_t events = 0;
  std::uint64_t sync_messages = 0;
  std::uint64_t sync_bytes = 0;
  int placements = 0;                   ///< re-placements made during the run
  int loads = 0;                        ///< instances loaded by re-placements
  std::uint64_t dropped_in_flight = 0;  ///< must stay 0: requests lost without an outcome

  std::uint64_t offered() const noexcept { return sum(&ServiceMetrics::offered); }
  std::uint64_t served() const noexcept { return sum(&ServiceMetrics::served); }
  std::uint64_t late() const noexcept { return sum(&ServiceMetrics::late); }
  std::uint64_t rejected() const noexcept {
    std::uint64_t n = 0;
    for (const auto& s : services) n += s.rejected_total();
    return n;
  }
  /// Items served within their SLO per second of the measurement window.
  double goodput() const noexcept { return static_cast<double>(served()) / to_seconds(measured); }
  double attainment() const noexcept {
    return offered() == 0 ? 1.0 : static_cast<double>(served()) / static_cast<double>(offered());
  }
  /// The service with the lowest attainment among those offered anything (nullptr: none).
  const ServiceMetrics* worst_service() const noexcept {
    const ServiceMetrics* worst = nullptr;
    for (const auto& s : services)
      if (s.offered > 0 && (!worst || s.attainment() < worst->attainment())) worst = &s;
    return worst;
  }
  /// Jain's fairness index over the attainment of the services offered anything: 1 when all
  /// attain alike, 1/n when one alone is served (1 when there is no service or none served).
  double fairness() const noexcept {
    double sum = 0.0, squares = 0.0;
    int n = 0;
    for (const auto& s : services)
      if (s.offered > 0) {
        sum += s.attainment();
        squares += s.attainment() * s.attainment();
        ++n;
      }
    return squares == 0.0 ? 1.0 : sum * sum / (n * squares);
  }
  /// True when every offered item has exactly one outcome.
  bool balanced() const noexcept {
    for (const auto& s : services)
      if (s.offered != s.outcomes()) return false;
    return dropped_in_flight == 0;
  }

 private:
  std::uint64_t sum(std::uint64_t ServiceMetrics::*field) const noexcept {
    std::uint64_t n = 0;
    for (const auto& s : services) n += s.*field;
    return n;
  }
};

}  // namespace epara::sim
