#include "epara/sim/gpus_needed.hpp"

#include <algorithm>
#include <cmath>
#include <map>

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

std::vector<Fault> faults_within(const Scenario& scaled, std::vector<Fault> faults) {
  std::erase_if(faults, [&](const Fault& fault) {
    const bool device = fault.kind == FaultKind::DeviceDown || fault.kind == FaultKind::DeviceUp;
    return device && fault.device != cpu_slot &&
           static_cast<std::size_t>(fault.device) >=
               scaled.cluster.server(fault.server).gpus.size();
  });
  return faults;
}

GpusNeeded search_gpus(const Scenario& scenario,
                       const std::function<double(const Scenario&)>& attainment_at, double target,
                       int resolution, double max_factor) {
  EPARA_EXPECTS(resolution >= 1 && max_factor >= 1.0,
                "search_gpus: resolution must be >= 1 and max_factor >= 1");
  // A cluster without GPUs has no count to search (its CPUs are not scaled): "0 GPUs needed"
  // would be a wrong answer, not a small one.
  EPARA_EXPECTS(scenario.cluster.gpu_count() > 0,
                "GPUs needed: the cluster has no GPU to scale (a CPU-only cluster keeps its CPUs)");
  // Each edge server's count grows with the factor, so clusters with equal GPU totals are equal:
  // one evaluation per total.
  GpusNeeded out;
  std::map<int, double> seen;  // GPUs -> attainment
  const auto gpus_at = [&](double f) {
    return static_cast<int>(scale_cluster(scenario, f).cluster.gpu_count());
  };
  const auto reaches = [&](double f) {
    const int gpus = gpus_at(f);
    auto it = seen.find(gpus);
    if (it == seen.end()) {
      it = seen.emplace(gpus, attainment_at(scale_cluster(scenario, f))).first;
      ++out.evaluations;
      out.attainment = std::max(out.attainment, it->second);
    }
    return it->second >= target;
  };
  double lo = 0.0, hi = 1.0;  // lo: short of the target (0: none found), hi: reaches it
  if (reaches(1.0)) {
    const int smallest = gpus_at(1e-9);  // one GPU per edge server
    for (double f = 0.5; lo == 0.0; f /= 2) {
      if (!reaches(f)) {
        lo = f;
      } else {
        hi = f;
        if (gpus_at(f) == smallest) break;
      }
    }
  } else {
    lo = 1.0;
    for (hi = 2.0; !reaches(hi); hi *= 2) {
      lo = hi;
      if (hi * 2 > max_factor) {  // not reached: the largest cluster tried falls short
        out.gpus_below = gpus_at(hi);
        return out;
      }
    }
  }
  while (lo > 0.0 && gpus_at(hi) - gpus_at(lo) > resolution && hi - lo > 1e-6) {
    const double mid = (lo + hi) / 2;
    (reaches(mid) ? hi : lo) = mid;
  }
  out.reached = true;
  out.factor = hi;
  out.gpus = gpus_at(hi);
  out.gpus_below = lo > 0.0 ? gpus_at(lo) : 0;
  out.attainment = seen.at(out.gpus);
  return out;
}

GpusNeeded gpus_needed(const Scenario& scenario, const SimulationConfig& config,
                       const std::function<std::unique_ptr<Strategy>()>& make, double target,
                       const std::vector<TraceRow>& trace, int seeds) {
  EPARA_EXPECTS(seeds >= 1, "gpus_needed: seeds must be >= 1");
  int largest_server = 1;
  for (const ServerSpec& s : scenario.cluster.servers)
    if (s.kind == ServerKind::EdgeServer)
      largest_server = std::max(largest_server, static_cast<int>(s.gpus.size()));
  const auto attainment_at = [&](const Scenario& scaled) {
    SimulationConfig c = config;
    c.faults = faults_within(scaled, config.faults);
    double sum = 0.0;
    for (int k = 0; k < seeds; ++k) {
      c.seed = config.seed + static_cast<std::uint64_t>(k);
      auto strategy = make();
      sum += simulate(scaled, c, *strategy, trace).attainment();
    }
    return sum / seeds;
  };
  return search_gpus(scenario, attainment_at, target, largest_server);
}

}  // namespace epara::sim
