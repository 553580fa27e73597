#include <random>

#include <catch2/catch.hpp>

#include "epara/placement/flow_objective.hpp"
#include "epara/placement/surrogate_objective.hpp"
#include "support/random_placement.hpp"

using namespace epara;
using namespace std::chrono_literals;

namespace {

// Origins A and B (microcomputers without the service's device), GPU servers X and Y. A reaches
// X (1 ms) and Y (49 ms); B reaches X (1 ms) but Y only through X and A (51 ms). Instances have
// a 50 ms worst latency and the deadline is 100 ms: B's items cannot go to Y.
struct TwoServers {
  Scenario s;
  std::unique_ptr<GroundSet> ground;

  TwoServers() {
    s.cluster.device_classes = {{"gpu", DeviceKind::Gpu, Bytes::gib(40), 1.0},
                                {"cpu", DeviceKind::Cpu, Bytes::gib(4), 1.0}};
    const DeviceClassId gpu{0}, cpu{1};
    s.cluster.servers = {{"A", ServerKind::Microcomputer, {}, cpu},
                         {"B", ServerKind::Microcomputer, {}, cpu},
                         {"X", ServerKind::EmbeddedBoard, {gpu}, {}},
                         {"Y", ServerKind::EmbeddedBoard, {gpu}, {}}};
    const ServerId a{0}, b{1}, x{2}, y{3};
    const auto link = [](ServerId p, ServerId q, Duration d) {
      return Link{p, q, d, Bandwidth::gbit_per_s(10)};
    };
    s.cluster.network = Network(4, {link(a, x, 1ms), link(a, y, 49ms), link(b, x, 1ms)});
    s.profiles = {{"p", "test", {}}};
    s.services = {{"svc", Slo::latency(100ms), Bytes::gib(1), ProfileId{0}, Bytes{}, {}, {}}};
    s.demand = {{ServiceId{0}, a, Rate{8}, 0}, {ServiceId{0}, b, Rate{8}, 0}};
    InstanceType t;
    t.service = ServiceId{0};
    t.device_class = gpu;
    t.capacity = 10;
    t.memory_per_device = Bytes::gib(1);
    t.worst_latency = 50ms;
    ground = std::make_unique<GroundSet>(s, InstanceTypes{{t}, {}}, s.demand,
                                         std::vector<LoadedInstance>{});
  }
};

constexpr double unit = units_per_item;

}  // namespace

TEST_CASE("flow: augmenting paths move served demand to make room") {
  TwoServers w;
  REQUIRE(w.ground->size() == 2);  // the type on X (0) and on Y (1)
  FlowObjective f(*w.ground);
  CHECK(f.gain(0) == 10 * unit);  // X: A's 8 and 2 of B's
  f.commit(0);
  CHECK(f.value() == 10 * unit);
  // Y reaches only A, which X already serves: A moves 6 to Y, freeing X for B's last 6.
  CHECK(f.gain(1) == 6 * unit);
  f.commit(1);
  CHECK(f.value() == 16 * unit);
  CHECK(f.unserved(0) == 0);
  CHECK(f.unserved(1) == 0);
  CHECK(f.flow(1, w.ground->candidates()[0].group) == 8'000'000);  // B entirely on X
  CHECK(f.gain(1) == 0.0);                                         // nothing left to serve
}

TEST_CASE("surrogate: capacity split by demand, never above the flow") {
  TwoServers w;
  SurrogateObjective s(*w.ground);
  // X is reached by A and B (8 + 8): each gets 5 of its 10.
  CHECK(s.gain(0) == 10 * unit);
  s.commit(0);
  // Y is reached by A alone: A could take 10 more but needs only 3.
  CHECK(s.gain(1) == 3 * unit);
  s.commit(1);
  CHECK(s.value() == 13 * unit);  // the flow serves 16
}

TEST_CASE("both objectives are monotone and submodular on random chains") {
  // Property (fixed seed): for random sequences of commits, each candidate's gain after a
  // prefix is at least its gain after a longer prefix (diminishing returns), gains are >= 0,
  // and a commit adds exactly its gain. The surrogate never exceeds the flow.
  std::mt19937_64 rng(17);
  int checks = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const auto world = testing::random_placement(rng);
    const GroundSet& g = *world->ground;
    if (g.size() == 0) continue;
    std::uniform_int_distribution<std::size_t> any(0, g.size() - 1);
    std::vector<std::size_t> chain(8);
    for (auto& c : chain) c = any(rng);
    FlowObjective flow_a(g), flow_b(g);
    SurrogateObjective sur_a(g), sur_b(g);
    const std::size_t i = std::uniform_int_distribution<std::size_t>(0, 4)(rng);
    for (std::size_t k = 0; k < chain.size(); ++k) {
      if (k < i) {
        flow_a.commit(chain[k]);
        sur_a.commit(chain[k]);
      }
      const double before = flow_b.value(), gain = flow_b.gain(chain[k]);
      REQUIRE(gain >= 0.0);
      flow_b.commit(chain[k]);
      REQUIRE(flow_b.value() == before + gain);
      const double s_before = sur_b.value(), s_gain = sur_b.gain(chain[k]);
      sur_b.commit(chain[k]);
      REQUIRE(sur_b.value() == s_before + s_gain);
      REQUIRE(sur_b.value() <= flow_b.value());
    }
    // A = the first i commits, B = all of them (a superset).
    for (int probe = 0; probe < 5; ++probe) {
      const std::size_t e = any(rng);
      REQUIRE(flow_a.gain(e) >= flow_b.gain(e));
      REQUIRE(sur_a.gain(e) >= sur_b.gain(e));
      ++checks;
    }
  }
  CHECK(checks > 1000);
}
