// The stream handshake: a remote target takes a stream's share only when it admits it by
// message, and the stream's items follow the assignment only once the answer is back.

#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulator.hpp"

using namespace epara;
using namespace epara::sim;

namespace {

// One 30 fps stream at `a`; the only GPU is at `b`, 10 ms away.
constexpr const char* stream_at_a_gpu_at_b = R"({
  "device_classes": [{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
  "servers": [
    {"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]},
    {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]}],
  "network": {"links": [{"between": ["a", "b"], "latency_ms": 10, "bandwidth_gbps": 8}]},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
    "points": [{"batch": 1, "latency_ms": 5}]}]}],
  "services": [{"name": "s", "profile": "p", "model_memory_gib": 1, "input_kib": 1,
                "slo": {"type": "frequency", "rate_per_s": 30, "deadline_ms": 100}}],
  "demand": [{"service": "s", "origin": "a", "streams": 1}]
})";

constexpr ServerId a = id_at<ServerId>(0);
constexpr ServerId b = id_at<ServerId>(1);
constexpr ServiceId s = id_at<ServiceId>(0);

// Proposes b for every stream and records when it proposed, when b was asked, and where the
// stream's items were routed; b admits or declines every share.
class ProposeB final : public Strategy {
 public:
  explicit ProposeB(bool admit) : admit_(admit) {}
  std::string_view name() const override { return "propose-b"; }
  std::vector<InstanceSpec> deploy(SimView&) override {
    ReplicaTiming t;
    t.pass = {std::chrono::milliseconds(5)};
    t.interval = t.pass;
    return {{s, b, {0}, {1, Duration{}, t, 1.0, Duration{}}}};
  }
  Decision route(SimView& sim, Request&, ServerId at, Time now) override {
    if (at == a) {
      routed_at_origin.push_back(now);
      return Offload{b, Time{}};
    }
    const auto here = sim.serving_on(b, s);
    return RunLocal{here.front(), sim.predicted_finish(at, here.front(), now), false};
  }
  std::optional<StreamAssignment> assign_stream(SimView&, ServiceId service, ServerId, Time now,
                                                std::span<const ServerId> declined) override {
    if (std::find(declined.begin(), declined.end(), b) != declined.end()) return std::nullopt;
    proposed.push_back(now);
    return StreamAssignment{service, {b}, 1, {}};
  }
  bool admit_stream(SimView&, ServiceId, ServerId target, double rate, Time now) override {
    CHECK(target == b);
    CHECK(rate == Approx(30.0));
    asked.push_back(now);
    return admit_;
  }
  void release_stream(SimView&, const StreamAssignment&) override { ++released; }

  std::vector<Time> proposed, asked, routed_at_origin;
  int released = 0;

 private:
  bool admit_;
};

RunMetrics run(Strategy& strategy) {
  const Scenario scenario = io::parse_scenario(stream_at_a_gpu_at_b, "two-servers.json");
  SimulationConfig c;
  c.duration = std::chrono::seconds(5);
  c.warmup = std::chrono::seconds(1);
  return simulate(scenario, c, strategy);
}

}  // namespace

TEST_CASE("A stream's items go to a remote target once it has admitted the share by message",
          "[sim][streams]") {
  ProposeB strategy(true);
  const RunMetrics m = run(strategy);
  REQUIRE(strategy.proposed.size() == 1);  // accepted: never asked again
  REQUIRE(strategy.asked.size() == 1);
  CHECK(strategy.asked[0] - strategy.proposed[0] == std::chrono::milliseconds(10));  // one way
  // Frames 33 ms apart and a 20 ms round trip: only the first frame is routed item by item,
  // the others go straight to b.
  REQUIRE(strategy.routed_at_origin.size() == 1);
  CHECK(strategy.routed_at_origin[0] == strategy.proposed[0]);
  CHECK(m.services[0].attainment() == 1.0);
  CHECK(strategy.released == 0);  // kept for the whole run
}

TEST_CASE("A target that declined a stream's share is asked again only a second later",
          "[sim][streams]") {
  ProposeB strategy(false);
  const RunMetrics m = run(strategy);
  REQUIRE(strategy.asked.size() == strategy.proposed.size());
  for (std::size_t i = 0; i < strategy.asked.size(); ++i)
    CHECK(strategy.asked[i] - strategy.proposed[i] == std::chrono::milliseconds(10));
  // The decline is known at the origin a round trip after the proposal; b is left out from
  // then for a second, and asked with the next frame after that.
  for (std::size_t i = 1; i < strategy.proposed.size(); ++i) {
    const Duration gap = strategy.proposed[i] - strategy.proposed[i - 1];
    CHECK(gap >= std::chrono::milliseconds(1020));
    CHECK(gap < std::chrono::milliseconds(1054));  // within a frame (33.3 ms) of that
  }
  CHECK(strategy.proposed.size() >= 4);  // about one a second over the 5 s run
  CHECK(strategy.released == 0);         // nothing was ever accepted
  // Every frame was routed item by item from the origin, and still served (through b).
  const ServiceMetrics& service = m.services[0];
  CHECK(strategy.routed_at_origin.size() >= service.offered);
  CHECK(service.attainment() == 1.0);
}
