// Multi-frame passes: a same-stream replica batches consecutive frames of one stream, never
// frames of different streams.

#include <catch2/catch.hpp>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulator.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;

namespace {

// Three 10 fps streams at `a`, whose one GPU runs a pass of 1 frame in 10 ms, of 2 in 20 ms.
constexpr const char* one_server = R"({
  "device_classes": [{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
  "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]}],
  "network": {"links": []},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
    "points": [{"batch": 1, "latency_ms": 10}, {"batch": 2, "latency_ms": 20}]}]}],
  "services": [{"name": "s", "profile": "p", "model_memory_gib": 1, "input_kib": 1,
                "slo": {"type": "frequency", "rate_per_s": 10, "deadline_ms": 1000}}],
  "demand": [{"service": "s", "origin": "a", "streams": 3}]
})";

// One replica of s on a's GPU, passes of 2 once 2 are queued (the timeout, 500 ms, comes first
// only for a stream's last frame), with or without the same-stream rule.
class PairsOnA final : public Strategy {
 public:
  explicit PairsOnA(bool same_stream) : same_stream_(same_stream) {}
  std::string_view name() const override { return "pairs"; }
  std::vector<InstanceSpec> deploy(SimView&) override {
    ReplicaTiming t;
    t.pass = {std::chrono::milliseconds(10), std::chrono::milliseconds(20)};
    t.interval = t.pass;
    return {{id_at<ServiceId>(0),
             id_at<ServerId>(0),
             {0},
             {2, std::chrono::milliseconds(500), t, 1.0, Duration{}, same_stream_}}};
  }
  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    const std::uint32_t i = sim.serving_on(at, r.service).front();
    return RunLocal{i, sim.predicted_finish(at, i, now), false};
  }

 private:
  bool same_stream_;
};

ServiceMetrics run(bool same_stream) {
  const Scenario s = io::parse_scenario(one_server, "one-server.json");
  SimulationConfig c;
  c.duration = std::chrono::seconds(20);
  c.warmup = std::chrono::seconds(2);
  PairsOnA strategy(same_stream);
  return simulate(s, c, strategy).services[0];
}

}  // namespace

TEST_CASE("A same-stream replica pairs a stream's consecutive frames, never two streams' frames",
          "[sim]") {
  // Same stream: a frame waits for its stream's next one (100 ms) and the pair takes 20 ms, so
  // the two latencies are 120 and 20 ms — 70 ms on average, plus the time a pair waits for
  // another stream's pass (at most two of 20 ms).
  const ServiceMetrics same = run(true);
  CHECK(same.attainment() == 1.0);
  CHECK(testing::mean_latency_ms(same) >= 70.0);
  CHECK(testing::mean_latency_ms(same) < 90.0);
  // Every pass was a pair of one stream's frames: multi-frame, never batching, and nothing else.
  CHECK(same.mode_share(Mode::MultiFrame) == Approx(1.0).margin(0.01));
  CHECK(same.mode_share(Mode::Batching) == 0.0);
  for (Mode m : {Mode::ModelParallel, Mode::DataParallel, Mode::MultiTask})
    CHECK(same.mode_share(m) == 0.0);
  // Any frames: a frame waits only for the next frame of any of the three streams.
  const ServiceMetrics any = run(false);
  CHECK(any.attainment() == 1.0);
  CHECK(testing::mean_latency_ms(any) < 60.0);
  CHECK(any.mode_share(Mode::Batching) > 0.9);  // pairs of two streams' frames
}
