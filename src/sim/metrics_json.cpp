#include "epara/sim/metrics_json.hpp"

#include <nlohmann/json.hpp>

#include "epara/categorize.hpp"

namespace epara::sim {

std::string run_metrics_to_json(const RunMetrics& m, const Scenario& s) {
  using json = nlohmann::ordered_json;
  json services = json::array();
  for (const ServiceMetrics& sm : m.services) {
    json rejected = json::object();
    for (std::size_t k = 0; k < sm.rejected.size(); ++k)
      rejected[std::string(to_string(static_cast<RejectReason>(k)))] = sm.rejected[k];
    const std::uint64_t answered = sm.served + sm.late;
    json modes = json::object();  // per mode, the share of completed requests whose pass used it
    for (Mode mode : all_modes) modes[std::string(to_string(mode))] = sm.mode_share(mode);
    services.push_back(
        {{"service", s.service(sm.service).name},
         {"category", code(sm.category)},
         {"offered", sm.offered},
         {"served", sm.served},
         {"late", sm.late},
         {"rejected", std::move(rejected)},
         {"attainment", sm.attainment()},
         {"offloads", sm.offloads},
         {"hops", sm.hops},
         {"p50_latency_s", sm.latency.quantile(0.50)},
         {"p95_latency_s", sm.latency.quantile(0.95)},
         {"p99_latency_s", sm.latency.quantile(0.99)},
         {"mean_latency_s", answered == 0 ? 0.0 : sm.latency_sum_s / static_cast<double>(answered)},
         {"latency_cdf", sm.latency.cdf()},
         {"modes", std::move(modes)}});
  }
  const ServiceMetrics* worst = m.worst_service();
  const json j{{"goodput_per_s", m.goodput()},
               {"attainment", m.attainment()},
               {"worst_service", worst ? json(s.service(worst->service).name) : json(nullptr)},
               {"worst_attainment", worst ? worst->attainment() : 1.0},
               {"fairness", m.fairness()},
               {"offered", m.offered()},
               {"served", m.served()},
               {"late", m.late()},
               {"rejected", m.rejected()},
               {"devices_used", m.devices_used},
               {"compute_utilization", m.compute_utilization},
               {"memory_utilization", m.memory_utilization},
               {"sync_messages", m.sync_messages},
               {"sync_bytes", m.sync_bytes},
               {"placements", m.placements},
               {"events", m.events},
               {"balanced", m.balanced()},
               {"services", std::move(services)}};
  return j.dump();
}

}  // namespace epara::sim
