#include "epara/sim/gpus_needed.hpp"

#include <algorithm>
#include <cmath>

namespace epara::sim {

Scenario scale_cluster(const Scenario& scenario, double factor) {
  EPARA_EXPECTS(factor > 0.0, "scale_cluster: the factor must be > 0");
  Scenario s = scenario;
  for (ServerSpec& server : s.cluster.servers) {
    if (server.kind != ServerKind::EdgeServer || server.gpus.empty()) continue;
    const auto n = static_cast<std::size_t>(
        std::max(1L, std::lround(factor * static_cast<double>(server.gpus.size()))));
    server.gpus.resize(n, server.gpus.front());
  }
  return s;
}

GpusNeeded gpus_needed(const Scenario& scenario, const SimulationConfig& config,
                       const std::function<std::unique_ptr<Strategy>()>& make, double target,
                       const std::vector<double>& factors, const std::vector<TraceRow>& trace) {
  std::vector<double> ordered = factors;
  std::sort(ordered.begin(), ordered.end());
  GpusNeeded out;
  for (double f : ordered) {
    const Scenario scaled = scale_cluster(scenario, f);
    SimulationConfig c = config;  // a device fault on a GPU the scaled server lacks is moot
    std::erase_if(c.faults, [&](const Fault& fault) {
      const bool device = fault.kind == FaultKind::DeviceDown || fault.kind == FaultKind::DeviceUp;
      return device && fault.device != cpu_slot &&
             static_cast<std::size_t>(fault.device) >=
                 scaled.cluster.server(fault.server).gpus.size();
    });
    auto strategy = make();
    const RunMetrics m = simulate(scaled, c, *strategy, trace);
    out.attainment = std::max(out.attainment, m.attainment());
    if (m.attainment() >= target) {
      out.reached = true;
      out.factor = f;
      out.gpus = static_cast<int>(scaled.cluster.gpu_count());
      out.attainment = m.attainment();
      return out;
    }
  }
  return out;
}

}  // namespace epara::sim
