// Make before break: an instance the new plan drops while it loads its service anew serves
// until that load is done, where its device's memory holds it beside the new plan.

#include <algorithm>

#include <catch2/catch.hpp>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulator.hpp"

using namespace epara;
using namespace epara::sim;

namespace {

// One server with two 16 GiB GPUs; s (8 GiB) gets 50 requests/s, each a 10 ms pass with a
// 200 ms deadline; t (12 GiB) and u (2 GiB) get none.
constexpr const char* two_gpus = R"({
  "device_classes": [{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
  "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 2}]}],
  "network": {"links": []},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
    "points": [{"batch": 1, "latency_ms": 10}]}]}],
  "services": [{"name": "s", "profile": "p", "model_memory_gib": 8, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 200}},
               {"name": "t", "profile": "p", "model_memory_gib": 12, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 200}},
               {"name": "u", "profile": "p", "model_memory_gib": 2, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 200}}],
  "demand": [{"service": "s", "origin": "a", "rate_per_s": 50}]
})";

constexpr ServiceId service_s = id_at<ServiceId>(0);
constexpr ServiceId service_t = id_at<ServiceId>(1);
constexpr ServiceId service_u = id_at<ServiceId>(2);

// What the re-placement also puts on GPU 0, where s was.
enum class OnGpu0 { Nothing, LargeModel, WholeDevice };
constexpr ServerId server_a = id_at<ServerId>(0);

// s starts on GPU 0; the first re-placement (at 5 s) moves it to GPU 1 with a 3 s load, and
// may put t on GPU 0 (then GPU 0 has no memory left for the old s) or u on the whole of it
// (memory enough, but no compute share left).
class MoveS final : public Strategy {
 public:
  explicit MoveS(OnGpu0 on_gpu0) : on_gpu0_(on_gpu0) {}
  std::string_view name() const override { return "move-s"; }
  std::vector<InstanceSpec> deploy(SimView&) override { return {spec(service_s, 0, {})}; }
  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    const auto ids = sim.serving_on(at, r.service);
    const std::uint32_t best = *std::min_element(ids.begin(), ids.end(), [&](auto x, auto y) {
      return sim.predicted_finish(at, x, now) < sim.predicted_finish(at, y, now);
    });
    return RunLocal{best, sim.predicted_finish(at, best, now), false};
  }
  std::optional<std::vector<InstanceSpec>> replan(SimView& sim, Time) override {
    loaded_at_replan.push_back(sim.loaded().size());
    if (moved_) return std::nullopt;
    moved_ = true;
    std::vector<InstanceSpec> wanted{spec(service_s, 1, std::chrono::seconds(3))};
    if (on_gpu0_ == OnGpu0::LargeModel)
      wanted.push_back(spec(service_t, 0, std::chrono::seconds(3)));
    if (on_gpu0_ == OnGpu0::WholeDevice)
      wanted.push_back(spec(service_u, 0, std::chrono::seconds(3)));
    return wanted;
  }
  Duration replan_period(const SimulationConfig&) const override { return std::chrono::seconds(5); }

  std::vector<std::size_t> loaded_at_replan;  // instances loaded at each re-placement

 private:
  static InstanceSpec spec(ServiceId s, DeviceSlot gpu, Duration load_time) {
    ReplicaTiming t;
    t.pass = {std::chrono::milliseconds(10)};
    t.interval = t.pass;
    return {s, server_a, {gpu}, {1, Duration{}, t, 1.0, load_time, false}};
  }
  OnGpu0 on_gpu0_;
  bool moved_ = false;
};

struct Outcome {
  ServiceMetrics s;
  std::vector<std::size_t> loaded_at_replan;
};

Outcome run(OnGpu0 on_gpu0) {
  const Scenario scenario = io::parse_scenario(two_gpus, "two-gpus.json");
  SimulationConfig c;
  c.duration = std::chrono::seconds(20);
  c.warmup = std::chrono::seconds(1);
  MoveS strategy(on_gpu0);
  const RunMetrics m = simulate(scenario, c, strategy);
  return {m.services[0], strategy.loaded_at_replan};
}

}  // namespace

TEST_CASE("A moved instance serves until its replacement is loaded, where its device has room",
          "[sim]") {
  // GPU 0 keeps the old s beside nothing new: every request of the 3 s load is served by it,
  // and it is unloaded once the new one is loaded (at 10 s one instance is left).
  const Outcome handed = run(OnGpu0::Nothing);
  CHECK(handed.s.attainment() > 0.99);
  REQUIRE(handed.loaded_at_replan.size() >= 2);
  CHECK(handed.loaded_at_replan[0] == 1);
  CHECK(handed.loaded_at_replan[1] == 1);
  // t takes GPU 0's memory, or u its whole compute: the old s goes at once, and the requests of
  // the 3 s load (about 3 of the 19 measured seconds) wait for the new one past their deadline.
  for (const OnGpu0 crowd : {OnGpu0::LargeModel, OnGpu0::WholeDevice}) {
    const Outcome broken = run(crowd);
    CHECK(broken.s.attainment() < 0.9);
    CHECK(broken.s.attainment() > 0.75);
    REQUIRE(broken.loaded_at_replan.size() >= 2);
    CHECK(broken.loaded_at_replan[1] == 2);  // the new s and t or u
  }
}
