// Nexus (Shen et al., SOSP'19): squishy bin packing of sessions onto GPUs, re-planned in epochs
// from observed rates, and centralized dispatch.
//
// Per service and GPU class (fastest first), as in the paper's SquishyBinPacking:
//   saturate: B = the largest batch with 2·L(B) <= deadline (a batch may wait for the one
//             running); floor(rate / (B / I(B))) whole replicas run at B;
//   residue:  the rest of the rate r runs at the batch b = r·d its duty cycle d fills, with
//             d + L(b) <= deadline, occupying r·I(b)/b of a GPU;
//   merge:    residues, by occupancy decreasing, join the GPU node where the merged node is
//             fullest (best fit): the node's duty cycle is its sessions' shortest, each session's
//             batch what its rate fills in it, and the node is feasible when every session still
//             meets d + L(b) <= its deadline and Σ L(b)/d <= 1 (passes slowed by co-location);
//             otherwise a residue opens a new GPU.
// Nodes and saturated replicas take GPUs next-fit over all servers, as one pool. The global
// scheduler re-plans every epoch (the placement period, 30 s by default) from the rates observed
// in it, and early — checked every epoch / 6 — when a service's rate leaves [0.8, 1.1]× the rate
// it was planned for (by more than the window's noise: a Poisson count's times the index of
// dispersion the frontend measures), or a failure is known. A re-plan keeps sessions on the GPUs
// they run on where the new plan has room for them there, so only what moved is reloaded. A
// central frontend spreads requests over a service's replicas by smooth weighted round-robin on
// their capacity, wherever they are: datacenter thinking, blind to the edge's network.

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "sim/strategies/builtins.hpp"
#include "sim/strategies/support.hpp"

namespace epara::sim::detail {
namespace {

struct Session {
  ServiceId service{};
  double rate = 0.0;  // items per second
  Duration deadline{};
  Bytes memory{};
  ReplicaTiming timing{};
  Duration load_time{};
  int batch = 1;
  Duration duty{};
};

// One GPU's sessions, run round-robin within the node's duty cycle.
struct Node {
  std::vector<Session> sessions;
  Duration duty{};
  double occupancy = 0.0;
};

class Nexus final : public Strategy {
 public:
  std::string_view name() const override { return "nexus"; }

  Duration replan_period(const SimulationConfig& c) const override {
    return c.placement_period / 6;
  }

  std::vector<InstanceSpec> deploy(SimView& sim) override {
    planned_.clear();
    for (const Demand& d : sim.declared_demand())
      planned_[d.service] += d.items(sim.scenario().service(d.service).slo).per_second;
    return plan(sim, planned_);
  }

  std::optional<std::vector<InstanceSpec>> replan(SimView& sim, Time now) override {
    since_plan_ += sim.period_since_replan(now);
    if (sim.period_since_replan(now) <= Duration::zero()) return std::nullopt;
    std::map<ServiceId, double> window;  // rates observed in this check's window
    for (const Demand& d : sim.measured_demand(now)) {
      const double items = d.items(sim.scenario().service(d.service).slo).per_second;
      window[d.service] += items;
      observed_[d.service] += items * to_seconds(sim.period_since_replan(now));
    }
    // Drift: outside [0.8, 1.1]× the planned rate, and by more than the window's noise (two
    // standard deviations), so that a service does not re-plan on chance. A count's variance is
    // its index of dispersion times a Poisson count's: 1 for Poisson arrivals, more for bursty
    // ones, measured by the frontend, which sees every arrival (route()).
    const double seconds = to_seconds(sim.period_since_replan(now));
    const auto moved = [&](ServiceId service, double planned, double rate) {
      const double index = dispersion(service);
      const double noise = 2.0 * std::sqrt(index * std::max(planned, 1e-9) / seconds);
      return (rate < 0.8 * planned || rate > 1.1 * planned) && std::abs(rate - planned) > noise;
    };
    bool drift = false;
    for (const auto& [service, planned] : planned_) {
      const auto it = window.find(service);
      drift = drift || moved(service, planned, it == window.end() ? 0.0 : it->second);
    }
    for (const auto& [service, rate] : window)
      drift = drift || (!planned_.contains(service) && moved(service, 0.0, rate));
    // The first window after the start is not judged: streams are still opening in it, which
    // would read as a drop.
    const bool judged = checks_++ > 0;
    drift = drift && judged;
    if (!drift && since_plan_ < sim.config().placement_period) return std::nullopt;
    // The epoch's rates: over the whole epoch, or over this window when the load moved.
    std::map<ServiceId, double> rates;
    if (drift) {
      rates = window;
    } else {
      for (const auto& [service, items] : observed_)
        rates[service] = items / to_seconds(since_plan_);
    }
    planned_ = rates;
    since_plan_ = Duration::zero();
    observed_.clear();
    return plan(sim, planned_);
  }

  std::optional<std::vector<InstanceSpec>> on_failure(SimView& sim, Time) override {
    return plan(sim, planned_);  // the same sessions on the GPUs left
  }

  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    if (r.route.count > 1) return go_to(sim, r, at, at, now);  // dispatched: run it here
    count_arrival(r.service, now, sim.config().placement_period / 6 / bins_per_check);
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
  std::vector<InstanceSpec> plan(SimView& sim, const std::map<ServiceId, double>& rates) {
    const Scenario& s = sim.scenario();
    std::vector<DeviceClassId> classes = s.cluster.serving_classes();
    std::stable_sort(classes.begin(), classes.end(), [&](DeviceClassId a, DeviceClassId b) {
      return s.cluster.device_class(a).relative_speed > s.cluster.device_class(b).relative_speed;
    });
    DeviceLedger ledger(s);
    for (const DeviceRef& d : sim.devices_down()) ledger.take_out(d.server, d.slot);
    std::vector<InstanceSpec> out;
    std::size_t cursor = 0;  // next-fit over servers, as one pool
    const auto next_fit =
        [&](int k, Bytes memory,
            DeviceClassId cls) -> std::optional<std::pair<ServerId, std::vector<DeviceSlot>>> {
      for (std::size_t tried = 0; tried < s.cluster.servers.size(); ++tried) {
        const auto v = id_at<ServerId>((cursor + tried) % s.cluster.servers.size());
        if (auto d = ledger.take_whole(v, k, memory, cls)) {
          cursor = index_of(v);
          return std::pair{v, *d};
        }
      }
      return std::nullopt;
    };
    // Sessions stay where they run: a replica or node goes first to the GPUs its service (one
    // of its sessions, for a node) is loaded on now, so that a re-plan reloads only what moved.
    const std::vector<LoadedInstance> loaded = sim.loaded();
    std::vector<bool> reused(loaded.size(), false);
    const auto stay =
        [&](ServiceId service, int k, Bytes memory,
            DeviceClassId cls) -> std::optional<std::pair<ServerId, std::vector<DeviceSlot>>> {
      for (std::size_t i = 0; i < loaded.size(); ++i) {
        const LoadedInstance& li = loaded[i];
        if (reused[i] || li.service != service || static_cast<int>(li.devices.size()) != k ||
            !ledger.take_exact(li.server, li.devices, memory, cls))
          continue;
        reused[i] = true;
        return std::pair{li.server, li.devices};
      }
      return std::nullopt;
    };
    const auto place = [&](ServiceId service, int k, Bytes memory, DeviceClassId cls) {
      auto at = stay(service, k, memory, cls);
      return at ? at : next_fit(k, memory, cls);
    };
    // Sessions by rate, the most items first.
    std::vector<std::pair<ServiceId, double>> remaining(rates.begin(), rates.end());
    std::stable_sort(remaining.begin(), remaining.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (DeviceClassId cls : classes) {
      std::vector<Session> residues;
      std::vector<std::pair<ServiceId, InstanceSpec>> wide;  // multi-GPU residues, placed last
      for (auto& [service, rate] : remaining) {
        if (rate <= 1e-9) continue;
        const ServiceSpec& spec = s.service(service);
        const auto fewest = fewest_devices(spec, s.cluster.device_class(cls).memory);
        if (!fewest) continue;
        const int k = *fewest;
        const auto timing = profiled_or_pipeline(s, service, cls, k);
        if (!timing) continue;
        const Duration deadline = spec.slo.deadline;
        const Duration load_time = replica_load_time(spec);
        int saturated = 0;  // the largest batch whose worst case, 2·L(B), fits
        for (int b = 1; b <= timing->max_batch(); ++b)
          if (2 * timing->pass_at(b) <= deadline) saturated = b;
        if (saturated == 0) continue;  // not even one item in time on this class
        const double throughput = saturated / to_seconds(timing->interval_at(saturated));
        const auto whole = static_cast<int>(std::floor(rate / throughput));
        const Duration slack = deadline - 2 * timing->pass_at(saturated);
        int placed = 0;
        for (; placed < whole; ++placed) {
          const auto at = place(service, k, memory_per_device(spec, k), cls);
          if (!at) break;
          out.push_back(
              {service, at->first, at->second, {saturated, slack, *timing, 1.0, load_time}});
        }
        rate -= placed * throughput;
        if (placed < whole || rate <= 1e-9) continue;  // class full (the rest to the next)
        if (k > 1) {  // a multi-GPU residue gets a replica of its own, once residues are in
          wide.push_back(
              {service, {service, ServerId{}, {}, {saturated, slack, *timing, 1.0, load_time}}});
          continue;
        }
        Session residue{service, rate, deadline, spec.model_memory, *timing, load_time, 1, {}};
        if (fill(residue, std::nullopt)) residues.push_back(residue);
      }
      // Nodes that can stay on a GPU one of their sessions runs on go first, so that a node
      // placed anew does not take it.
      const std::vector<Node> nodes = pack(residues, s.cluster.device_class(cls).memory);
      std::vector<std::optional<std::pair<ServerId, std::vector<DeviceSlot>>>> node_at(
          nodes.size());
      std::vector<Bytes> memory(nodes.size());
      for (std::size_t n = 0; n < nodes.size(); ++n) {
        for (const Session& x : nodes[n].sessions) memory[n] += x.memory;
        for (const Session& x : nodes[n].sessions)
          if (!node_at[n]) node_at[n] = stay(x.service, 1, memory[n], cls);
      }
      for (std::size_t n = 0; n < nodes.size(); ++n) {
        if (!node_at[n]) node_at[n] = next_fit(1, memory[n], cls);
        if (!node_at[n]) continue;
        for (const Session& x : nodes[n].sessions) {
          const double share = std::min(1.0, x.rate * to_seconds(x.timing.interval_at(x.batch)) /
                                                 x.batch * interference(nodes[n]));
          out.push_back({x.service,
                         node_at[n]->first,
                         node_at[n]->second,
                         {x.batch, nodes[n].duty, x.timing, share, x.load_time}});
          for (auto& [service, rate] : remaining)
            if (service == x.service) rate = 0.0;
        }
      }
      for (auto& [service, replica] : wide) {
        const auto at =
            place(service, replica.config.timing.gpus,
                  memory_per_device(s.service(service), replica.config.timing.gpus), cls);
        if (!at) continue;
        replica.server = at->first;
        replica.devices = at->second;
        out.push_back(std::move(replica));
        for (auto& [id, rate] : remaining)
          if (id == service) rate = 0.0;
      }
    }
    return out;
  }

  static double interference(const Node& node) {
    return node.sessions.size() > 1 ? CostModel{}.interference : 1.0;
  }

  // The session's batch and duty cycle, alone (no node duty cycle) or within a node's `duty`:
  // the batch its rate fills in the duty cycle; false when it no longer meets its deadline.
  static bool fill(Session& x, std::optional<Duration> duty) {
    if (!duty) {  // alone: the largest batch with (b / rate) + L(b) within the deadline
      bool found = false;
      for (int b = 1; b <= x.timing.max_batch(); ++b) {
        const Duration d = from_seconds(b / x.rate);
        if (d + x.timing.pass_at(b) > x.deadline) break;
        x.batch = b;
        x.duty = d;
        found = true;
      }
      return found;
    }
    x.duty = *duty;
    x.batch = std::clamp(static_cast<int>(std::ceil(x.rate * to_seconds(*duty))), 1,
                         x.timing.max_batch());
    return *duty + x.timing.pass_at(x.batch) <= x.deadline;
  }

  // Merges residues onto as few GPUs as the paper's best-fit merging finds.
  static std::vector<Node> pack(std::vector<Session> residues, Bytes gpu_memory) {
    const auto occupancy = [](const Session& x) {
      return to_seconds(x.timing.interval_at(x.batch)) / to_seconds(x.duty);
    };
    std::stable_sort(residues.begin(), residues.end(), [&](const Session& a, const Session& b) {
      return occupancy(a) > occupancy(b);
    });
    std::vector<Node> nodes;
    for (const Session& residue : residues) {
      std::optional<Node> best;
      std::size_t best_at = 0;
      for (std::size_t n = 0; n < nodes.size(); ++n) {
        Node merged = nodes[n];
        merged.sessions.push_back(residue);
        Bytes memory{};
        for (const Session& x : merged.sessions) memory += x.memory;
        if (memory > gpu_memory) continue;
        merged.duty = std::min(nodes[n].duty, residue.duty);
        bool ok = true;
        double busy = 0.0;
        const double slow = interference(merged);
        for (Session& x : merged.sessions) {
          ok = ok && fill(x, merged.duty) &&
               merged.duty + Duration{std::llround(
                                 static_cast<double>(x.timing.pass_at(x.batch).count()) * slow)} <=
                   x.deadline;
          busy += to_seconds(x.timing.interval_at(x.batch)) * slow;
        }
        merged.occupancy = busy / to_seconds(merged.duty);
        if (!ok || merged.occupancy > 1.0) continue;
        if (!best || merged.occupancy > best->occupancy) {
          best = std::move(merged);
          best_at = n;
        }
      }
      if (best) {
        nodes[best_at] = std::move(*best);
      } else {
        nodes.push_back({{residue}, residue.duty, occupancy(residue)});
      }
    }
    return nodes;
  }

  // The frontend counts each service's arrivals in bins of a tenth of a drift check's window;
  // every bins_per_check closed bins add their squared deviations from their mean over that
  // mean (a Poisson count's variance) to the service's pooled sum.
  static constexpr int bins_per_check = 10;
  struct Bins {
    std::int64_t current = -1;  // the bin being counted
    double count = 0.0;
    std::vector<double> closed;  // counts of the bins closed since the last pooling
    double sum = 0.0;            // pooled squared deviations over the mean
    double freedom = 0.0;        // and their degrees of freedom
  };

  void count_arrival(ServiceId service, Time now, Duration bin) {
    if (index_of(service) >= bins_.size()) bins_.resize(index_of(service) + 1);
    Bins& b = bins_[index_of(service)];
    const std::int64_t at = now.time_since_epoch() / std::max(bin, Duration{1});
    if (at != b.current) {
      if (b.current >= 0) {
        b.closed.push_back(b.count);
        // Bins without arrivals count too (at most a check's worth: a long silence is drift).
        for (std::int64_t empty = b.current + 1; empty < at && empty < b.current + bins_per_check;
             ++empty)
          b.closed.push_back(0.0);
      }
      b.current = at;
      b.count = 0.0;
    }
    b.count += 1.0;
    if (static_cast<int>(b.closed.size()) >= bins_per_check) pool(b);
  }

  static void pool(Bins& b) {
    double mean = 0.0;
    for (double c : b.closed) mean += c;
    mean /= static_cast<double>(b.closed.size());
    if (b.closed.size() >= 2 && mean > 0.0) {
      for (double c : b.closed) b.sum += (c - mean) * (c - mean) / mean;
      b.freedom += static_cast<double>(b.closed.size() - 1);
    }
    b.closed.clear();
  }

  // The service's index of dispersion (a count's variance over its mean), at least 1 (Poisson).
  double dispersion(ServiceId service) const {
    if (index_of(service) >= bins_.size()) return 1.0;
    const Bins& b = bins_[index_of(service)];
    return b.freedom < 2.0 ? 1.0 : std::max(1.0, b.sum / b.freedom);
  }

  std::map<ServiceId, double> planned_;  // the rates the current plan was made for
  std::vector<Bins> bins_;  // the frontend's arrival counts, by service index (per request: no map)
  std::map<ServiceId, double> observed_;  // items observed since the last plan, per service
  Duration since_plan_{};
  int checks_ = 0;  // drift checks made
  std::map<ServiceId, std::map<std::uint32_t, double>> credit_;
};

}  // namespace

std::unique_ptr<Strategy> make_nexus() { return std::make_unique<Nexus>(); }

}  // namespace epara::sim::detail
