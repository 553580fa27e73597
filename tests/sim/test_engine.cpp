// The event engine: ordering, determinism for a seed, input checks, the strategy registry.

#include <algorithm>
#include <random>
#include <set>
#if defined(__GLIBC__)
#include <malloc.h>  // mallinfo2: the heap in use
#endif

#include "epara/io/scenario_json.hpp"
#include "sim/event_queue.hpp"
#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::sim;
using std::chrono::milliseconds;

TEST_CASE("Events pop in time order, equal times in the order they were scheduled", "[sim]") {
  sim::detail::EventQueue q;
  std::mt19937_64 rng(11);
  std::vector<std::pair<std::int64_t, std::uint32_t>> pushed;  // (time, insertion index)
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const auto t = static_cast<std::int64_t>(rng() % 50);  // many ties
    q.push(Time{} + Duration{t}, sim::detail::EventKind::Arrival, i, 0);
    pushed.emplace_back(t, i);
  }
  std::stable_sort(pushed.begin(), pushed.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [t, i] : pushed) {
    REQUIRE_FALSE(q.empty());
    const sim::detail::Event e = q.pop();
    REQUIRE(e.at == Time{} + Duration{t});
    REQUIRE(e.a == i);
  }
  CHECK(q.empty());
}

TEST_CASE("Pushes and pops interleaved keep the order, whatever the heap's size", "[sim]") {
  for (const std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    sim::detail::EventQueue q;
    std::mt19937_64 rng(seed);
    std::set<std::pair<std::int64_t, std::uint32_t>> expected;  // (time, insertion index)
    std::int64_t now = 0;
    std::uint32_t pushes = 0;
    for (int step = 0; step < 20'000; ++step) {
      // Grow to about a thousand events, then shrink to empty and grow again: every depth, and
      // holes at every position of the last level.
      const bool growing = (step / 2'000) % 2 == 0;
      const bool push = expected.empty() || (growing ? rng() % 4 != 0 : rng() % 4 == 0);
      if (push) {
        const std::int64_t t = now + static_cast<std::int64_t>(rng() % 20);  // many ties
        q.push(Time{} + Duration{t}, sim::detail::EventKind::Arrival, pushes, 0);
        expected.emplace(t, pushes++);
      } else {
        REQUIRE(q.size() == expected.size());
        const sim::detail::Event e = q.pop();
        REQUIRE(e.at == Time{} + Duration{expected.begin()->first});
        REQUIRE(e.a == expected.begin()->second);
        now = expected.begin()->first;
        expected.erase(expected.begin());
      }
    }
  }
}

namespace {

Scenario testbed() { return io::load_scenario(EPARA_TESTBED_JSON); }

SimulationConfig short_run(std::uint64_t seed) {
  SimulationConfig c;
  c.duration = std::chrono::seconds(12);
  c.warmup = std::chrono::seconds(2);
  c.placement_period = std::chrono::seconds(5);
  c.seed = seed;
  return c;
}

// Everything a run counts, for comparing runs.
std::vector<std::uint64_t> fingerprint(const RunMetrics& m) {
  std::vector<std::uint64_t> f = {m.events, m.sync_messages, m.sync_bytes,
                                  static_cast<std::uint64_t>(m.loads)};
  for (const ServiceMetrics& s : m.services) {
    f.insert(f.end(), {s.offered, s.served, s.late, s.offloads,
                       static_cast<std::uint64_t>(s.latency_sum_s * 1e9)});
    f.insert(f.end(), s.rejected.begin(), s.rejected.end());
  }
  return f;
}

}  // namespace

TEST_CASE("A run is deterministic for its seed, for every built-in strategy", "[sim]") {
  const Scenario s = testbed();
  const auto registry = StrategyRegistry::with_builtins();
  for (const std::string& name : registry.names()) {
    INFO(name);
    SimulationConfig c = short_run(5);
    c.arrivals = ArrivalProcess::Gamma;
    c.burstiness = 2.0;
    c.sync_loss = 0.1;
    const auto first = simulate(s, c, *registry.make(name));
    const auto again = simulate(s, c, *registry.make(name));
    CHECK(fingerprint(first) == fingerprint(again));
    c.seed = 6;
    const auto other = simulate(s, c, *registry.make(name));
    CHECK(fingerprint(first) != fingerprint(other));
  }
}

TEST_CASE("simulate refuses a config that does not fit the scenario", "[sim]") {
  const Scenario s = testing::micro_scenario();
  testing::FixedInstance strategy(testing::server_a, 1, Duration::zero());
  SimulationConfig c;
  SECTION("warm-up as long as the run") {
    c.warmup = c.duration;
    CHECK_THROWS_WITH(simulate(s, c, strategy), Catch::Contains("warmup must be in [0, duration)"));
  }
  SECTION("a fault on a device the server lacks") {
    c.faults = {{milliseconds(1), FaultKind::DeviceDown, testing::server_a, 3}};
    CHECK_THROWS_WITH(simulate(s, c, strategy),
                      Catch::Contains("device 3 of server 'a', which it does not have"));
  }
  SECTION("a fault on an unknown server") {
    c.faults = {{milliseconds(1), FaultKind::ServerDown, id_at<ServerId>(9), 0}};
    CHECK_THROWS_WITH(simulate(s, c, strategy), Catch::Contains("unknown server"));
  }
  SECTION("sync loss outside [0, 1]") {
    c.sync_loss = 1.5;
    CHECK_THROWS_WITH(simulate(s, c, strategy), Catch::Contains("sync_loss"));
  }
  SECTION("a load factor whose arrival gaps would overflow") {
    c.load_scale = 1e-300;
    CHECK_THROWS_WITH(simulate(s, c, strategy),
                      Catch::Contains("load_scale must be in [0.001, 1000] (got 1e-300)"));
  }
  SECTION("a trace with no requests") {
    c.trace = TraceReplay{"empty.csv", testing::service_s, {testing::server_a}, 1.0, 0.0};
    CHECK_THROWS_WITH(simulate(s, c, strategy, {}),
                      Catch::Contains("empty.csv: the trace has no requests"));
  }
  SECTION("a placement period of a nanosecond") {
    c.placement_period = Duration{1};
    CHECK_THROWS_WITH(simulate(s, c, strategy),
                      Catch::Contains("the sync and placement periods would schedule 1.2e+11"));
  }
  SECTION("a burstiness beyond the Gamma draws' range") {
    c.burstiness = 1e9;
    CHECK_THROWS_WITH(simulate(s, c, strategy), Catch::Contains("burstiness must be in"));
  }
}

namespace {

// The micro scenario with 10 ms passes and requests of s entering at a at `rate` per second.
Scenario requests_at_a(double rate) {
  return testing::micro_scenario(
      R"([{"batch": 1, "latency_ms": 10}])", 25,
      fmt::format(R"([{{"service": "s", "origin": "a", "rate_per_s": {}}}])", rate));
}

}  // namespace

TEST_CASE("simulate refuses more streams than an int counts at the peak load", "[sim]") {
  // A million streams at a thousandfold load once overflowed the int that counts them.
  Scenario s = testbed();
  for (Demand& d : s.demand)
    if (d.streams > 0) d.streams = 1'000'000;
  SimulationConfig c;
  c.load_scale = 1000.0;
  std::unique_ptr<Strategy> strategy = StrategyRegistry::with_builtins().make("offload");
  CHECK_THROWS_WITH(simulate(s, c, *strategy),
                    Catch::Contains("1e+09 streams of") && Catch::Contains("lower the load"));
}

TEST_CASE("simulate refuses a run that would offer more items than its limit", "[sim]") {
  // 1,000/s for 60 s at twice the load at its peak step: 120,000 items at most.
  const Scenario s = requests_at_a(1000);
  testing::FixedInstance strategy(testing::server_a, 1, Duration::zero());
  SimulationConfig c;
  c.load_profile = {{std::chrono::seconds(30), 2.0, std::nullopt, std::nullopt}};
  c.max_items = 119'000;
  CHECK_THROWS_WITH(simulate(s, c, strategy),
                    Catch::Contains("could offer 1.2e+05 items, more than the limit of 1.19e+05"));
  c.max_items = 120'000;
  const RunMetrics m = simulate(s, c, strategy);
  CHECK(m.offered() > 0);
  CHECK(static_cast<double>(m.offered()) <= 120'000.0);
}

TEST_CASE("A demand so slow that its next arrival lies beyond the run ends the run", "[sim]") {
  // One request in 11.6 days at a thousandth of the load: the gap drawn is ~10^9 s, more than
  // int64 nanoseconds hold; the run ends at its duration with nothing (or one item) offered.
  const Scenario s = requests_at_a(1e-6);
  testing::FixedInstance strategy(testing::server_a, 1, Duration::zero());
  SimulationConfig c;
  c.load_scale = 1e-3;
  c.warmup = Duration::zero();
  const RunMetrics m = simulate(s, c, strategy);
  CHECK(m.offered() <= 1);
  CHECK(m.dropped_in_flight == 0);
  CHECK(m.served() + m.late() + m.rejected() == m.offered());
}

TEST_CASE("A RunLocal on an instance of another server is a strategy bug, reported", "[sim]") {
  struct Wrong final : testing::FixedInstance {
    using FixedInstance::FixedInstance;
    Decision route(SimView&, Request&, ServerId, Time) override { return RunLocal{0, {}, false}; }
  };
  const Scenario s = testing::micro_scenario();
  Wrong strategy(testing::server_b, 1, Duration::zero());
  CHECK_THROWS_WITH(testing::run_arrivals(s, strategy, {0}, testing::server_a),
                    Catch::Contains("strategy fixed: RunLocal on an instance not serving"));
}

TEST_CASE("A strategy reads another server's queue only through its synced view", "[sim]") {
  // Fixed on b; at a (the origin), before it offloads, it reads b's instance: another server's
  // exact state, which a real server a does not have.
  struct Peeks final : testing::FixedInstance {
    using FixedInstance::FixedInstance;
    enum class Read { Queue, Finish } read = Read::Queue;
    Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
      if (at != testing::server_b) {
        if (read == Read::Queue) (void)sim.queued(at, 0);
        if (read == Read::Finish) (void)sim.predicted_finish(at, 0, now);
      }
      return FixedInstance::route(sim, r, at, now);
    }
  };
  const Scenario s = testing::micro_scenario();
  for (const auto read : {Peeks::Read::Queue, Peeks::Read::Finish}) {
    Peeks strategy(testing::server_b, 1, Duration::zero());
    strategy.read = read;
    CHECK_THROWS_WITH(testing::run_arrivals(s, strategy, {0}, testing::server_a),
                      Catch::Contains("instance 0 runs on 'b'") &&
                          Catch::Contains("knows its queue only through its synced view"));
  }
  // Where it runs, the same reads are the server's own state.
  testing::FixedInstance own(testing::server_b, 1, Duration::zero());
  CHECK(testing::run_arrivals(s, own, {0}, testing::server_b).served() == 1);
}

TEST_CASE("The registry makes strategies by name and lists the known ones otherwise", "[sim]") {
  auto registry = StrategyRegistry::with_builtins();
  CHECK(registry.names() ==
        std::vector<std::string>{"epara", "uncategorized", "nexus", "alpaserve", "offload"});
  CHECK(registry.make("nexus")->name() == "nexus");
  CHECK_THROWS_WITH(registry.make("clipper"),
                    Catch::Contains("unknown strategy 'clipper'") && Catch::Contains("alpaserve"));
  CHECK_THROWS_WITH(registry.add("epara", "again", [] { return nullptr; }),
                    Catch::Contains("registered twice"));
  registry.add("fixed", "one instance", [] {
    return std::make_unique<testing::FixedInstance>(testing::server_a, 1, Duration::zero());
  });
  CHECK(registry.make("fixed")->name() == "fixed");
  CHECK(registry.description("fixed") == "one instance");
}

TEST_CASE("EPARA serves every service of the testbed where the items objective starves one",
          "[sim]") {
  // Load 1: llm-70b (0.15 requests/s) needs a whole 4-GPU server, which serves far more video
  // frames; summed items leave it at zero, serve_every_service gives it that server.
  const Scenario s = testbed();
  SimulationConfig c;
  c.duration = std::chrono::seconds(40);
  c.warmup = std::chrono::seconds(5);
  c.load_scale = 1.0;
  const auto registry = StrategyRegistry::with_builtins();
  const RunMetrics every = simulate(s, c, *registry.make("epara"));
  c.serve_every_service = false;
  const RunMetrics sum = simulate(s, c, *registry.make("epara"));
  const auto llm = index_of(*s.find_service("llm-70b"));
  REQUIRE(every.services[llm].offered > 0);
  CHECK(sum.services[llm].served == 0);
  for (const ServiceMetrics& m : every.services) {
    INFO(s.services[index_of(m.service)].name);
    CHECK(m.served > 0);
  }
  CHECK(every.services[llm].attainment() >= 0.5);
  CHECK(every.served() < sum.served());  // the price, in other services' items
}

namespace {

// Moves s's one instance between a and b at every re-placement, and records what it sees then.
class Wandering : public testing::FixedInstance {
 public:
  explicit Wandering(std::size_t batches) : FixedInstance(testing::server_a, 2, Duration{}) {
    timing_.pass.assign(batches, milliseconds(10));
    timing_.interval = timing_.pass;
  }
  std::vector<InstanceSpec> deploy(SimView&) override { return {at(testing::server_a)}; }
  Decision route(SimView& sim, Request& r, ServerId at, Time now) override {
    const auto serving = sim.serving(r.service);
    if (serving.empty()) return Reject{RejectReason::NoInstance};
    const ServerId host = sim.instance(serving.front()).server;
    if (at != host) return Offload{host, Time{}};
    return RunLocal{serving.front(), sim.predicted_finish(at, serving.front(), now), false};
  }
  std::optional<std::vector<InstanceSpec>> replan(SimView& sim, Time now) override {
    seen.push_back({sim.instance_count(), sim.serving(testing::service_s).size(),
                    sim.loaded().size(), heap_in_use()});
    const ServerId from = sim.instance(sim.serving(testing::service_s).front()).server;
    if (!dead_checked && sim.instance_count() > 1) {  // instance 0 is gone: it finishes nothing
      dead_checked = sim.predicted_finish(testing::server_a, 0, now) == Time::max();
    }
    return std::vector<InstanceSpec>{
        at(from == testing::server_a ? testing::server_b : testing::server_a)};
  }

  struct Seen {
    std::size_t made, serving, loaded, heap;
  };
  std::vector<Seen> seen;
  bool dead_checked = false;

 private:
  InstanceSpec at(ServerId server) const {
    return {testing::service_s, server, {0}, {2, Duration{}, timing_, 1.0, Duration{}}};
  }
  static std::size_t heap_in_use() {
#if defined(__GLIBC__)
    return mallinfo2().uordblks;
#else
    return 0;
#endif
  }
  ReplicaTiming timing_;
};

}  // namespace

TEST_CASE("A long run keeps only its live instances: the dead ones' storage is freed", "[sim]") {
  const Scenario s = testing::micro_scenario();
  // A curve of 4,000 batch sizes: 64 KB of timing per instance, held by each dead one unless
  // it is freed.
  Wandering strategy(4000);
  sim::SimulationConfig c;
  c.duration = std::chrono::seconds(1);
  c.warmup = Duration::zero();
  c.placement_period = milliseconds(4);  // 250 re-placements, each a new instance
  c.trace = sim::TraceReplay{"arrivals", testing::service_s, {testing::server_a}, 1.0, 0.0};
  std::vector<sim::TraceRow> rows;  // a request every 2 ms at a
  rows.reserve(500);
  for (int ms = 0; ms < 1000; ms += 2) rows.push_back({from_ms(ms), 100, 10});
  const RunMetrics m = sim::simulate(s, c, strategy, rows);
  REQUIRE(m.balanced());
  CHECK(m.services[0].served > 0);  // (most are offloaded to where the instance just was)
  REQUIRE(strategy.seen.size() >= 200);
  CHECK(strategy.dead_checked);
  // Ids keep growing; one instance is alive at every re-placement.
  CHECK(std::all_of(strategy.seen.begin(), strategy.seen.end(),
                    [](const auto& seen) { return seen.serving == 1 && seen.loaded == 1; }));
  CHECK(strategy.seen.back().made >= 200);
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Between the 50th and the last re-placement, the heap grows by the dead instances' fixed
  // records (a few hundred bytes each), not by their 64 KB curves.
  const auto& early = strategy.seen[50];
  const auto& late = strategy.seen.back();
  const double per_instance = static_cast<double>(late.heap - std::min(late.heap, early.heap)) /
                              static_cast<double>(late.made - early.made);
  INFO("heap growth per instance made: " << per_instance << " bytes");
  CHECK(per_instance < 4096);
#else
  WARN("the heap is not measured here (a sanitizer's allocator, or no glibc)");
#endif
}
