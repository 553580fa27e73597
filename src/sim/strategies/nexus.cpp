// Nexus-style: batch-aware "squishy" bin packing of services onto GPUs from their SLOs, and
// centralized dispatch. Each service runs at the largest batch b whose worst case — a batch
// waiting for the one running, 2·L(b) — fits its deadline; its load fills whole GPUs at that
// batch; the residue of each service runs at the batch its rate fills within a duty cycle, and
// the residues are packed first-fit-decreasing by occupancy onto shared GPUs.
// A central frontend spreads requests over a service's replicas by smooth weighted round-robin
// on their capacity, wherever they are: datacenter thinking, blind to the edge's network.

#include <cmath>
#include <map>
#include <optional>

#include "sim/strategies/builtins.hpp"
#include "sim/strategies/support.hpp"

namespace epara::sim::detail {
namespace {

class Nexus final : public Strategy {
 public:
  std::string_view name() const override { return "nexus"; }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    const Scenario& s = sim.scenario();
    std::map<ServiceId, double> load;
    for (const Demand& d : sim.declared_demand())
      load[d.service] += d.items(s.service(d.service).slo).per_second;
    std::vector<DeviceClassId> classes = s.cluster.gpu_classes_present();
    std::stable_sort(classes.begin(), classes.end(), [&](DeviceClassId a, DeviceClassId b) {
      return s.cluster.device_class(a).relative_speed > s.cluster.device_class(b).relative_speed;
    });
    const double interference = CostModel{}.interference;
    DeviceLedger ledger(s);
    std::vector<InstanceSpec> out;
    std::size_t cursor = 0;  // next-fit over servers, as one pool
    const auto next_fit = [&](auto&& take) {
      for (std::size_t tried = 0; tried < s.cluster.servers.size(); ++tried) {
        const auto v = id_at<ServerId>((cursor + tried) % s.cluster.servers.size());
        if (take(v)) {
          cursor = index_of(v);
          return true;
        }
      }
      return false;
    };
    // Sessions in order of their request rate (the most items first), each placed at once:
    // whole GPUs for its replicas, or — a single light session — first fit onto a shared GPU
    // whose occupancies, slowed by co-location, stay <= 1 ("squishy" packing).
    std::vector<std::pair<ServiceId, double>> order(load.begin(), load.end());
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [service, rate] : order) {
      const ServiceSpec& spec = s.service(service);
      double remaining = rate;
      for (DeviceClassId cls : classes) {  // the fastest GPUs first, the next class when gone
        const auto plan = sessions(s, service, cls, remaining);
        if (!plan) continue;
        if (plan->replicas == 1 && plan->k == 1 && plan->occupancy * interference <= 1.0) {
          DeviceSlot slot = 0;
          if (next_fit([&](ServerId v) {
                const auto d =
                    ledger.take_share(v, plan->occupancy * interference, spec.model_memory, cls);
                if (d) slot = *d;
                return d.has_value();
              })) {
            ReplicaConfig config = plan->config;
            config.share = plan->occupancy;
            out.push_back({service, id_at<ServerId>(cursor), {slot}, config});
            remaining = 0;
            break;
          }
          continue;
        }
        int placed = 0;
        for (; placed < plan->replicas; ++placed) {
          std::vector<DeviceSlot> devices;
          if (!next_fit([&](ServerId v) {
                auto d = ledger.take_whole(v, plan->k, memory_per_device(spec, plan->k), cls);
                if (d) devices = *d;
                return d.has_value();
              }))
            break;
          out.push_back({service, id_at<ServerId>(cursor), devices, plan->config});
        }
        remaining -= remaining * placed / plan->replicas;
        if (remaining <= 1e-9) break;  // else this class is full: the rest to the next
      }
    }
    return out;
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    if (r.route.count > 1) return go_to(sim, r, at, at, now);  // dispatched: run it here
    const auto replicas = sim.serving(r.service);
    if (replicas.empty()) return Reject{RejectReason::NoInstance};
    // Smooth weighted round-robin by capacity: deterministic, proportional, interleaved.
    auto& credit = credit_[r.service];
    double total = 0.0;
    std::uint32_t pick = replicas.front();
    double best = -1e300;
    for (std::uint32_t i : replicas) {
      const double w = sim.instance(i).capacity;
      total += w;
      credit[i] += w;
      if (credit[i] > best) {
        best = credit[i];
        pick = i;
      }
    }
    credit[pick] -= total;
    return go_to(sim, r, at, sim.instance(pick).server, now);
  }

 private:
  struct Sessions {
    int k = 1;             // GPUs per replica
    int replicas = 1;      // the fewest whose sessions each fit one replica
    double occupancy = 0;  // of each replica
    ReplicaConfig config{};
  };

  // Nexus's batching for `rate` on `cls`: a session's batch is what its rate fills within a
  // duty cycle — r items take (r-1)/rate to gather, and gathering plus two passes (one waiting,
  // one running) must fit the deadline; its occupancy is rate × I(r) / r at the best such r.
  // The load is split over the fewest replicas whose sessions each have occupancy <= 1.
  static std::optional<Sessions> sessions(const Scenario& s, ServiceId service, DeviceClassId cls,
                                          double rate) {
    const ServiceSpec& spec = s.service(service);
    Sessions out;
    while (memory_per_device(spec, out.k) > s.cluster.device_class(cls).memory && out.k < 8)
      ++out.k;
    auto timing = timing_for(s, service, cls, out.k, TimingSource::Profiled);
    if (!timing && out.k > 1) timing = timing_for(s, service, cls, out.k, TimingSource::Pipeline);
    if (!timing) return std::nullopt;
    const Duration load_time = replica_load_time(spec, Bandwidth{2e9}, std::chrono::seconds(1));
    for (; out.replicas <= 4096; ++out.replicas) {
      const double each = rate / out.replicas;
      bool found = false;
      for (int r = 1; r <= timing->max_batch(); ++r) {
        const Duration gather = from_seconds((r - 1) / each);
        if (gather + 2 * timing->pass_at(r) > spec.slo.deadline) break;
        const double occupancy = each * to_seconds(timing->interval_at(r)) / r;
        if (!found || occupancy < out.occupancy) {
          out.occupancy = occupancy;
          out.config = {r, gather, *timing, 1.0, load_time};
          found = true;
        }
      }
      if (!found) return std::nullopt;  // not even one item in time
      if (out.occupancy <= 1.0) return out;
    }
    return std::nullopt;
  }

  std::map<ServiceId, std::map<std::uint32_t, double>> credit_;
};

}  // namespace

std::unique_ptr<Strategy> make_nexus() { return std::make_unique<Nexus>(); }

}  // namespace epara::sim::detail
