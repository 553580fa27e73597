#pragma once
// Demand-proportional deployment with one fixed batching policy: how a plain serving
// deployment is sized — every service alike, GPUs split in proportion to the GPU time its
// demand needs, replicas placed near where its demand comes from, whole GPUs each.

#include <cmath>
#include <map>

#include "sim/strategies/support.hpp"

namespace epara::sim::detail {

struct FixedBatching {
  int max_batch = 8;
  Duration timeout = std::chrono::milliseconds(5);
};

inline std::vector<InstanceSpec> proportional_deployment(SimView& sim, FixedBatching policy) {
  const Scenario& s = sim.scenario();
  struct Need {
    ServiceId service{};
    DeviceClassId cls{};
    int k = 1;
    ReplicaTiming timing{};
    double weight = 0.0;  // GPU-seconds per second its demand needs
    ServerId origin{};    // where most of its demand enters
    int replicas = 0;
  };
  std::map<ServiceId, double> items;
  std::map<ServiceId, std::pair<double, ServerId>> top_origin;
  for (const Demand& d : sim.declared_demand()) {
    const double rate = d.items(s.service(d.service).slo).per_second;
    items[d.service] += rate;
    auto& top = top_origin[d.service];
    if (rate > top.first) top = {rate, d.origin};
  }
  std::vector<DeviceClassId> classes = s.cluster.serving_classes();
  std::stable_sort(classes.begin(), classes.end(), [&](DeviceClassId a, DeviceClassId b) {
    return s.cluster.device_class(a).relative_speed > s.cluster.device_class(b).relative_speed;
  });
  std::vector<Need> needs;
  for (const auto& [service, rate] : items) {
    const ServiceSpec& spec = s.service(service);
    for (DeviceClassId cls : classes) {  // the fastest class that can hold it
      const auto fewest = fewest_devices(spec, s.cluster.device_class(cls).memory);
      if (!fewest) continue;
      const int k = *fewest;
      const auto timing = profiled_or_pipeline(s, service, cls, k);
      if (!timing) continue;
      const int b = std::min(policy.max_batch, timing->max_batch());
      needs.push_back({service, cls, k, *timing, rate * k * to_seconds(timing->interval_at(b)) / b,
                       top_origin[service].second, 0});
      break;
    }
  }
  double total_weight = 0.0;
  for (const Need& n : needs) total_weight += n.weight;
  const double device_count = static_cast<double>(s.cluster.serving_device_count());
  for (Need& n : needs)
    n.replicas =
        std::max(1, static_cast<int>(std::floor(device_count * n.weight / total_weight / n.k)));
  // Multi-GPU replicas first (an operator places the big models before the small ones fill
  // the servers), then the heaviest services.
  std::stable_sort(needs.begin(), needs.end(), [](const Need& a, const Need& b) {
    return a.k != b.k ? a.k > b.k : a.weight > b.weight;
  });
  DeviceLedger ledger(s);
  std::vector<InstanceSpec> out;
  // Round-robin over services so that a shortage of GPUs is shared. A replica goes to the
  // nearest server with free GPUs of the service's class, else of any class it can run on.
  for (bool placed = true; placed;) {
    placed = false;
    for (Need& n : needs) {
      if (n.replicas == 0) continue;
      --n.replicas;
      const ServiceSpec& spec = s.service(n.service);
      const auto try_class = [&](DeviceClassId cls, int k, const ReplicaTiming& timing) {
        for (ServerId v : by_distance(s, n.origin)) {
          const auto devices = ledger.take_whole(v, k, memory_per_device(spec, k), cls);
          if (!devices) continue;
          out.push_back({n.service,
                         v,
                         *devices,
                         {std::min(policy.max_batch, timing.max_batch()), policy.timeout, timing,
                          1.0, replica_load_time(spec)}});
          return true;
        }
        return false;
      };
      if (try_class(n.cls, n.k, n.timing)) {
        placed = true;
        continue;
      }
      for (DeviceClassId cls : classes) {
        if (cls == n.cls) continue;
        const auto fewest = fewest_devices(spec, s.cluster.device_class(cls).memory);
        if (!fewest) continue;
        const int k = *fewest;
        const auto timing = timing_for(s, n.service, cls, k, TimingSource::Profiled);
        if (timing && try_class(cls, k, *timing)) {
          placed = true;
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace epara::sim::detail
