#include "epara/sim/bound.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace epara::sim {

namespace {

struct Segment {
  Time from{}, to{};
};

// The measurement window cut where a load step changes some factor (as World's arrivals) and
// where a fault takes a server or device down or brings it back.
std::vector<Segment> segments_of(const SimulationConfig& c) {
  const Time start = Time{} + c.warmup, end = Time{} + c.duration;
  std::vector<Time> cuts{start, end};
  const auto cut = [&](Duration at) {
    if (start < Time{} + at && Time{} + at < end) cuts.push_back(Time{} + at);
  };
  for (const LoadStep& step : c.load_profile) cut(step.at);
  for (const Fault& fault : c.faults) cut(fault.at);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Segment> out;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) out.push_back({cuts[i], cuts[i + 1]});
  return out;
}

// Trace requests arriving in [from, to) as rates per (origin, work bin), each bin at its
// lightest request's work (bins 10% wide, so the bound errs by at most that, upwards).
std::vector<bound::OfferedRate> trace_rates(const SimulationConfig& c,
                                            const std::vector<TraceRow>& trace, Time from,
                                            Time to) {
  if (!c.trace || trace.empty()) return {};
  const TraceReplay& t = *c.trace;
  double total = 0.0;  // work is relative to the whole trace's mean request, as in World
  for (const TraceRow& r : trace) total += r.cost(t.prefill_weight);
  const double mean = total > 0 ? total / static_cast<double>(trace.size()) : 1.0;
  std::map<std::pair<std::size_t, long>, std::pair<double, double>> bins;  // -> (count, work)
  for (std::size_t row = 0; row < trace.size(); ++row) {
    const Time at = Time{} + from_seconds(to_seconds(trace[row].offset) / t.speedup);
    if (at < from || at >= to) continue;
    const double work = std::max(1e-6, trace[row].cost(t.prefill_weight) / mean);
    const std::size_t origin = row % t.origins.size();
    auto& [count, lightest] =
        bins[{origin, std::lround(std::floor(std::log(work) / std::log(1.1)))}];
    lightest = count == 0 ? work : std::min(lightest, work);
    count += 1;
  }
  std::vector<bound::OfferedRate> out;
  out.reserve(bins.size());
  const double seconds = to_seconds(to - from);
  for (const auto& [key, bin] : bins)
    out.push_back({t.service, t.origins[key.first], bin.first / seconds, bin.second});
  return out;
}

// What is down from `at` on, replaying the faults up to it as the simulator applies them: a
// server's fault takes all its devices, and a server coming back brings them all back.
bound::Outage outage_at(const SimulationConfig& c, Time at) {
  std::vector<const Fault*> past;
  for (const Fault& f : c.faults)
    if (Time{} + f.at <= at) past.push_back(&f);
  std::stable_sort(past.begin(), past.end(),
                   [](const Fault* a, const Fault* b) { return a->at < b->at; });
  bound::Outage out;
  for (const Fault* f : past) {
    const DeviceRef device{f->server, f->device};
    switch (f->kind) {
      case FaultKind::ServerDown:
        if (std::ranges::find(out.servers, f->server) == out.servers.end())
          out.servers.push_back(f->server);
        break;
      case FaultKind::ServerUp:
        std::erase(out.servers, f->server);
        std::erase_if(out.devices, [&](const DeviceRef& d) { return d.server == f->server; });
        break;
      case FaultKind::DeviceDown:
        if (std::ranges::find(out.devices, device) == out.devices.end())
          out.devices.push_back(device);
        break;
      case FaultKind::DeviceUp:
        std::erase(out.devices, device);
        break;
    }
  }
  return out;
}

}  // namespace

RunBound goodput_bound(const Scenario& scenario, const SimulationConfig& config,
                       const std::vector<TraceRow>& trace) {
  RunBound out;
  out.alone.assign(scenario.services.size(), 0.0);
  out.offered_by_service.assign(scenario.services.size(), 0.0);
  const double window = to_seconds(config.duration - config.warmup);
  for (const Segment& seg : segments_of(config)) {
    std::vector<bound::OfferedRate> rates;
    for (const bound::OfferedRate& r : bound::declared_rates(scenario, config.load_scale)) {
      if (config.trace && config.trace->service == r.service) continue;  // the trace drives it
      bound::OfferedRate scaled = r;
      const double factor = load_factor(config, seg.from - Time{}, r.service, r.origin);
      const Slo& slo = scenario.service(r.service).slo;
      // Streams run in whole numbers: round(declared × factor), as the simulator does.
      scaled.items_per_s =
          slo.is_latency()
              ? r.items_per_s * factor
              : slo.rate.per_second *
                    static_cast<double>(std::lround(r.items_per_s / slo.rate.per_second * factor));
      if (scaled.items_per_s > 0.0) rates.push_back(scaled);
    }
    const auto traced = trace_rates(config, trace, seg.from, seg.to);
    rates.insert(rates.end(), traced.begin(), traced.end());
    const bound::FluidBound b = bound::fluid_bound(scenario, rates, outage_at(config, seg.from));
    const double weight = to_seconds(seg.to - seg.from) / window;
    out.offered += weight * b.offered;
    out.goodput += weight * b.goodput;
    out.fair_attainment += weight * b.fair_attainment;
    out.fair_goodput += weight * b.fair_goodput;
    for (std::size_t s = 0; s < out.alone.size(); ++s) out.alone[s] += weight * b.alone[s];
    for (const bound::OfferedRate& r : rates)
      out.offered_by_service[index_of(r.service)] += weight * r.items_per_s;
  }
  return out;
}

GpusNeeded gpus_lower_bound(const Scenario& scenario, const SimulationConfig& config, double target,
                            const std::vector<TraceRow>& trace) {
  return search_gpus(
      scenario,
      [&](const Scenario& scaled) {
        SimulationConfig c = config;
        c.faults = faults_within(scaled, config.faults);
        return goodput_bound(scaled, c, trace).attainment();
      },
      target, 1, 64.0);
}

}  // namespace epara::sim
