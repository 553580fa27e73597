// AlpaServe-style: statistical multiplexing with model parallelism. Each server's GPUs form
// groups of one size (larger groups for models that need them); every model placed on a group
// is split over all of the group's GPUs, so several models share a group and a burst of one
// model borrows the whole group. Placement is greedy: the model with the most load per replica
// gets one more replica on the least-loaded group that still has memory for it. As AlpaServe
// searches group partitions, the group size (1, 2 or 4 GPUs) is the one whose placement is
// estimated to serve the most. Replicas batch dynamically (a 5 ms timeout) up to the largest
// batch under the SLO, as AlpaServe's controller sizes them. A central dispatcher sends each
// request to the replica with the shortest queue.

#include <algorithm>
#include <map>

#include "sim/strategies/builtins.hpp"
#include "sim/strategies/proportional.hpp"

namespace epara::sim::detail {
namespace {

// A model gets a further replica only in a group busy under this fraction of its time,
// interference included. Chosen in 2f85439 without a stated reason or a sweep; the argument for
// it: below the plans' 90% cap (CostModel::max_utilization), as a group interleaves several
// models' passes, whose queues add up.
constexpr double group_busy_cap = 0.85;
// Replicas stop being added to a model once another would carry under this share of a GPU's
// time: too little work for the memory a replica takes. An argument, not a measurement.
constexpr double min_replica_busy = 0.05;

class AlpaServe final : public Strategy {
 public:
  std::string_view name() const override { return "alpaserve"; }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    Layout best;
    for (const std::size_t size :
         {std::size_t{4}, std::size_t{2},
          std::size_t{1}}) {  // ties go to the larger groups: more multiplexing
      Layout l = layout(sim, size);
      if (best.instances.empty() || l.served > best.served + 1e-9) best = std::move(l);
    }
    return best.instances;
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    if (r.route.count > 1) return go_to(sim, r, at, at, now);  // dispatched: run it here
    std::optional<std::uint32_t> shortest;
    // The controller's shortest queue (AlpaServe dispatches every request centrally).
    for (std::uint32_t i : sim.serving(r.service))
      if (!shortest || sim.dispatcher_queue(i) < sim.dispatcher_queue(*shortest)) shortest = i;
    if (!shortest) return Reject{RejectReason::NoInstance};
    return go_to(sim, r, at, sim.instance(*shortest).server, now);
  }

 private:
  struct Layout {
    std::vector<InstanceSpec> instances{};
    double served = 0.0;  // items per second, estimated
  };

  static Layout layout(SimView& sim, std::size_t group_size) {
    const Scenario& s = sim.scenario();
    struct Group {
      ServerId server;
      DeviceClassId cls;
      std::vector<DeviceSlot> devices;
      Bytes free;                                           // per GPU
      double load = 0.0;                                    // GPU-seconds per second placed on it
      std::vector<std::pair<Duration, Duration>> models{};  // (pass, deadline) of its replicas
    };
    // Groups: one group per model too large for group_size GPUs (the smallest power of two of
    // GPUs of one class that holds it, carved from the first server with that many), and the
    // remaining GPUs of each server in groups of group_size (smaller where fewer are left).
    std::vector<std::vector<DeviceSlot>> free_slots(s.cluster.servers.size());
    std::vector<std::vector<DeviceClassId>> free_class(s.cluster.servers.size());
    const std::vector<DeviceClassId> classes = s.cluster.serving_classes();
    // The devices of the serving classes: the GPUs, or a CPU-only cluster's CPUs (one device
    // each, a group of its own).
    for (std::size_t v = 0; v < s.cluster.servers.size(); ++v)
      for (const auto& [slot, cls] : devices_of(s.cluster.servers[v]))
        if (std::ranges::find(classes, cls) != classes.end()) {
          free_slots[v].push_back(slot);
          free_class[v].push_back(cls);
        }
    std::vector<Group> groups;
    const auto carve = [&](std::size_t v, DeviceClassId cls, std::size_t size) {
      Group group{id_at<ServerId>(v), cls, {}, s.cluster.device_class(cls).memory};
      for (std::size_t i = 0; i < free_slots[v].size() && group.devices.size() < size;) {
        if (free_class[v][i] != cls) {
          ++i;
          continue;
        }
        group.devices.push_back(free_slots[v][i]);
        free_slots[v].erase(free_slots[v].begin() + static_cast<std::ptrdiff_t>(i));
        free_class[v].erase(free_class[v].begin() + static_cast<std::ptrdiff_t>(i));
      }
      groups.push_back(std::move(group));
    };
    std::map<ServiceId, bool> seen;
    for (const Demand& d : sim.declared_demand()) {
      if (seen[d.service]) continue;
      seen[d.service] = true;
      const ServiceSpec& spec = s.service(d.service);
      bool carved = false;
      for (std::size_t v = 0; v < free_slots.size() && !carved; ++v) {
        for (DeviceClassId cls : classes) {
          std::size_t size = group_size;
          while (size < max_devices_per_replica && memory_per_device(spec, static_cast<int>(size)) >
                                                       s.cluster.device_class(cls).memory)
            size *= 2;
          if (size <= group_size) break;  // the ordinary groups will do
          const auto count =
              static_cast<std::size_t>(std::count(free_class[v].begin(), free_class[v].end(), cls));
          if (count < size) continue;
          carve(v, cls, size);
          carved = true;
          break;
        }
      }
    }
    for (std::size_t v = 0; v < free_slots.size(); ++v)
      while (!free_slots[v].empty()) carve(v, free_class[v].front(), group_size);
    struct Model {
      ServiceId service;
      double rate;  // items per second
      int replicas = 0;
      bool done = false;  // no group can take another replica, or one more would add little
    };
    std::map<ServiceId, double> rates;
    for (const Demand& d : sim.declared_demand())
      rates[d.service] += d.items(s.service(d.service).slo).per_second;
    std::vector<Model> models;
    models.reserve(rates.size());
    for (const auto& [service, rate] : rates) models.push_back({service, rate});
    std::vector<InstanceSpec> out;
    std::vector<std::size_t> group_of;  // per instance of out
    const FixedBatching batching;
    // AlpaServe's controller batches up to the largest batch under the SLO: the largest whose
    // pass, twice (one running, then its own), meets the deadline.
    const auto batch_of = [&](const ReplicaTiming& t, const ServiceSpec& spec) {
      int b = 1;
      while (b < t.max_batch() && 2 * t.pass_at(b + 1) <= spec.slo.deadline) ++b;
      return b;
    };
    const auto per_item = [&](const ReplicaTiming& t, const ServiceSpec& spec) {
      const int b = batch_of(t, spec);
      return to_seconds(t.interval_at(b)) / b;
    };
    // The timing of one more replica of `m` on group `g`, if it fits: memory, and SLOs —
    // AlpaServe chooses placements by simulating their SLO attainment; here, every model on
    // the group must still meet its deadline waiting for one pass of each other model.
    const auto fit = [&](const Model& m, const Group& g) -> std::optional<ReplicaTiming> {
      const int k = static_cast<int>(g.devices.size());
      const ServiceSpec& spec = s.service(m.service);
      if (memory_per_device(spec, k) > g.free) return std::nullopt;
      auto timing = profiled_or_pipeline(s, m.service, g.cls, k);
      if (!timing) return std::nullopt;
      // ...and, for a model's further replicas, the group has GPU time left (within
      // group_busy_cap, interference included). A model's first replica goes in regardless:
      // every model is served somewhere.
      if (m.replicas > 0 && g.load * CostModel{}.interference >= group_busy_cap)
        return std::nullopt;
      auto tenants = g.models;
      tenants.emplace_back(timing->pass_at(batch_of(*timing, spec)), spec.slo.deadline);
      Duration passes{};
      for (const auto& [pass, deadline] : tenants) passes += pass;
      for (const auto& [pass, deadline] : tenants)
        if (passes + pass > deadline) return std::nullopt;
      return timing;
    };
    const auto place = [&](Model& m) {
      Group* best = nullptr;
      std::optional<ReplicaTiming> best_timing;
      for (Group& g : groups) {
        if (best && g.load >= best->load) continue;
        if (auto t = fit(m, g)) {
          best = &g;
          best_timing = std::move(t);
        }
      }
      if (!best) return false;
      const int k = static_cast<int>(best->devices.size());
      const ServiceSpec& spec = s.service(m.service);
      best->free -= memory_per_device(spec, k);
      best->models.emplace_back(best_timing->pass_at(batch_of(*best_timing, spec)),
                                spec.slo.deadline);
      // The replica takes its share of the model's load, or what time the group has left.
      const double share = m.rate / (m.replicas + 1) * per_item(*best_timing, spec);
      best->load += m.replicas == 0
                        ? share
                        : std::min(share, group_busy_cap / CostModel{}.interference - best->load);
      out.push_back({m.service,
                     best->server,
                     best->devices,
                     {batch_of(*best_timing, spec), batching.timeout, *best_timing, 1.0,
                      replica_load_time(spec)}});
      group_of.push_back(static_cast<std::size_t>(best - groups.data()));
      ++m.replicas;
      return true;
    };
    // Every model first, the largest first (they fit least easily); then more replicas, one at
    // a time, to the model with the most GPU time per replica, while memory lasts.
    std::stable_sort(models.begin(), models.end(), [&](const Model& a, const Model& b) {
      return s.service(a.service).model_memory > s.service(b.service).model_memory;
    });
    for (Model& m : models) m.done = !place(m);
    while (true) {
      Model* next = nullptr;
      double next_load = 0.0;
      for (Model& m : models) {
        if (m.done || m.replicas == 0) continue;
        const double load = m.rate / (m.replicas + 1);
        if (!next || load > next_load) {
          next = &m;
          next_load = load;
        }
      }
      if (!next) break;
      const std::size_t before = out.size();
      next->done = !place(*next);
      // Stop adding to a model once another replica would carry under min_replica_busy.
      if (out.size() > before) {
        const ReplicaTiming& t = out.back().config.timing;
        if (next->rate / next->replicas * per_item(t, s.service(next->service)) < min_replica_busy)
          next->done = true;
      }
    }
    // Estimate: each replica carries an equal share of its model's rate; a group whose GPU
    // time is oversubscribed serves its replicas' shares in proportion.
    std::vector<double> offered(groups.size(), 0.0), busy(groups.size(), 0.0);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const Model& m = *std::find_if(models.begin(), models.end(),
                                     [&](const Model& x) { return x.service == out[i].service; });
      const double share = m.rate / m.replicas;
      offered[group_of[i]] += share;
      busy[group_of[i]] += share * per_item(out[i].config.timing, s.service(m.service));
    }
    Layout result{std::move(out), 0.0};
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const double b = busy[g] * (groups[g].models.size() > 1 ? CostModel{}.interference : 1.0);
      result.served += offered[g] * std::min(1.0, b > 0.0 ? 1.0 / b : 1.0);
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Strategy> make_alpaserve() { return std::make_unique<AlpaServe>(); }

}  // namespace epara::sim::detail
