#pragma once
// A two-server scenario small enough to work outcomes out by hand, and a strategy that runs
// one fixed instance: the simulator's behaviour is then the only thing under test.

#include <string>

#include <catch2/catch.hpp>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulator.hpp"

namespace epara::testing {

// Server a and b, one GPU each, 2 ms apart; service s: 25 ms deadline, 1 KiB inputs. Tests
// that need another curve, deadline or declared demand pass them (JSON text).
inline Scenario micro_scenario(
    const std::string& points =
        R"([{"batch": 1, "latency_ms": 10}, {"batch": 2, "latency_ms": 15}])",
    int deadline_ms = 25, const std::string& demand = "[]") {
  return io::parse_scenario(R"({
    "device_classes": [{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
    "servers": [
      {"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]},
      {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]}],
    "network": {"links": [{"between": ["a", "b"], "latency_ms": 2, "bandwidth_gbps": 8.192}]},
    "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
      "points": )" + points + R"(}]}],
    "services": [{"name": "s", "profile": "p", "model_memory_gib": 1, "input_kib": 1,
                  "slo": {"type": "latency", "deadline_ms": )" +
                                std::to_string(deadline_ms) + R"(}}],
    "demand": )" + demand + "}",
                            "micro.json");
}

inline constexpr ServerId server_a = id_at<ServerId>(0);
inline constexpr ServerId server_b = id_at<ServerId>(1);
inline constexpr ServiceId service_s = id_at<ServiceId>(0);

/// One instance of s on `host`'s GPU (10 ms passes, 15 ms at batch 2); every request runs
/// there: locally when it is at `host`, else offloaded to it.
class FixedInstance : public sim::Strategy {
 public:
  FixedInstance(ServerId host, int max_batch, Duration timeout)
      : host_(host), max_batch_(max_batch), timeout_(timeout) {}
  std::string_view name() const override { return "fixed"; }
  std::vector<sim::InstanceSpec> deploy(sim::SimView&) override {
    ReplicaTiming t;
    t.pass = {std::chrono::milliseconds(10), std::chrono::milliseconds(15)};
    t.interval = t.pass;
    return {{service_s, host_, {0}, {max_batch_, timeout_, t, 1.0, Duration{}}}};
  }
  Decision route(sim::SimView& sim, Request& r, ServerId at, Time now) override {
    if (at != host_) return Offload{host_, Time{}};
    const auto here = sim.serving_on(at, r.service);
    if (here.empty()) return Reject{RejectReason::NoInstance};
    return RunLocal{here.front(), sim.predicted_finish(at, here.front(), now), false};
  }

 private:
  ServerId host_;
  int max_batch_;
  Duration timeout_;
};

/// One second, measured from t = 0, of the requests a trace replays at `origin`.
inline sim::SimulationConfig micro_config(ServerId origin) {
  sim::SimulationConfig c;
  c.duration = std::chrono::seconds(1);
  c.warmup = Duration::zero();
  c.trace = sim::TraceReplay{"arrivals", service_s, {origin}, 1.0, 0.0};
  return c;
}

/// A run of `c` whose requests arrive exactly at `arrivals_ms` (with no `generated` tokens
/// given, equal token counts: every request is one unit of work, else each its tokens over the
/// mean).
inline sim::RunMetrics run_arrivals(const Scenario& s, sim::Strategy& strategy,
                                    const std::vector<double>& arrivals_ms,
                                    const sim::SimulationConfig& c,
                                    const std::vector<int>& generated = {}) {
  std::vector<sim::TraceRow> rows;
  for (std::size_t i = 0; i < arrivals_ms.size(); ++i)
    rows.push_back({from_ms(arrivals_ms[i]), 100, generated.empty() ? 10 : generated.at(i)});
  return sim::simulate(s, c, strategy, rows);
}

/// A run whose requests arrive at `origin` exactly at `arrivals_ms` (a replayed trace), with
/// `faults`.
inline sim::RunMetrics run_arrivals(const Scenario& s, sim::Strategy& strategy,
                                    const std::vector<double>& arrivals_ms, ServerId origin,
                                    std::vector<sim::Fault> faults = {},
                                    const std::vector<int>& generated = {}) {
  sim::SimulationConfig c = micro_config(origin);
  c.faults = std::move(faults);
  return run_arrivals(s, strategy, arrivals_ms, c, generated);
}

inline double mean_latency_ms(const sim::ServiceMetrics& m) {
  return 1e3 * m.latency_sum_s / static_cast<double>(m.served + m.late);
}

}  // namespace epara::testing
