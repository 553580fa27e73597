// Hand-computed outcomes of tiny runs: known arrival times, one instance, known pass times.

#include <cmath>
#include <vector>

#include "sim/micro_scenario.hpp"

using namespace epara;
using namespace epara::testing;
using std::chrono::milliseconds;

namespace {
std::uint64_t rejected(const sim::ServiceMetrics& m, RejectReason r) {
  return m.rejected[static_cast<std::size_t>(r)];
}
}  // namespace

TEST_CASE("FIFO one at a time: the third request would finish late and is left out", "[sim]") {
  // Passes of 10 ms from t = 0, 10, 20. Arrivals 0, 1, 2 ms; deadline 25 ms after each.
  // #0 done at 10, #1 at 20 (deadline 26); #2 would end at 30 > 27: rejected when its turn comes.
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 1, Duration::zero());
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 1, 2}, server_a);
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.offered == 3);
  CHECK(sm.served == 2);
  CHECK(sm.late == 0);
  CHECK(rejected(sm, RejectReason::Overloaded) == 1);
  CHECK(mean_latency_ms(sm) == Approx((10.0 + 19.0) / 2));
  CHECK(sm.offloads == 0);
  CHECK(m.balanced());
}

TEST_CASE("Passes run pass_time_scale times their profiled time", "[sim]") {
  // Passes of 10 ms profiled, one at a time, arrivals at 0 and 1 ms (deadline 1 s). At scale k
  // each pass takes 10k ms: #0 is done at 10k, #1 at 20k (it arrived at 1 ms).
  Scenario s = micro_scenario();
  s.services[0].slo = Slo::latency(milliseconds(1000));
  for (const double k : {0.5, 1.0, 1.5}) {
    FixedInstance strategy(server_a, 1, Duration::zero());
    sim::SimulationConfig c = micro_config(server_a);
    c.pass_time_scale = k;
    const sim::RunMetrics m = run_arrivals(s, strategy, {0, 1}, c);
    INFO("pass_time_scale " << k);
    REQUIRE(m.services[0].served == 2);
    CHECK(mean_latency_ms(m.services[0]) == Approx((10 * k + 20 * k - 1) / 2));
    CHECK(m.balanced());
    // The same speed given to batches of one alone: the passes here are all of one item.
    FixedInstance by_batch_strategy(server_a, 1, Duration::zero());
    sim::SimulationConfig by_batch = micro_config(server_a);
    by_batch.pass_time_scale = 1.3;  // what batches beyond the list would run at
    by_batch.pass_time_scale_by_batch = {k};
    const sim::RunMetrics b = run_arrivals(s, by_batch_strategy, {0, 1}, by_batch);
    REQUIRE(b.services[0].served == 2);
    CHECK(mean_latency_ms(b.services[0]) == Approx((10 * k + 20 * k - 1) / 2));
  }
}

TEST_CASE("Passes vary by pass_time_cv around their profiled time", "[sim]") {
  // 2,000 passes of 10 ms profiled, one every 20 ms (no queueing: a request's latency is its
  // pass). With a coefficient of variation cv the passes are log-normal of mean 10 ms: median
  // 10 / sqrt(1 + cv^2), p99 10 exp(mu + 2.3263 sigma), sigma^2 = ln(1 + cv^2), mu = -sigma^2/2.
  Scenario s = micro_scenario();
  s.services[0].slo = Slo::latency(milliseconds(1000));
  std::vector<double> arrivals_ms(2000);
  for (std::size_t i = 0; i < arrivals_ms.size(); ++i)
    arrivals_ms[i] = 20.0 * static_cast<double>(i);
  const auto run = [&](double cv, std::uint64_t seed) {
    FixedInstance strategy(server_a, 1, Duration::zero());
    sim::SimulationConfig c = micro_config(server_a);
    c.duration = std::chrono::seconds(41);
    c.pass_time_cv = cv;
    c.seed = seed;
    const sim::RunMetrics m = run_arrivals(s, strategy, arrivals_ms, c);
    REQUIRE(m.balanced());
    REQUIRE(m.services[0].served == arrivals_ms.size());
    return m.services[0];
  };
  const sim::ServiceMetrics fixed = run(0.0, 1);
  CHECK(1e3 * fixed.latency.quantile(0.01) == Approx(10).epsilon(0.02));  // one 2% bucket
  CHECK(fixed.latency.quantile(0.01) == fixed.latency.quantile(1.0));
  for (const double cv : {0.05, 0.1, 0.2}) {
    INFO("pass_time_cv " << cv);
    const sim::ServiceMetrics varied = run(cv, 1);
    const double sigma = std::sqrt(std::log1p(cv * cv)), mu = -sigma * sigma / 2;
    CHECK(mean_latency_ms(varied) == Approx(10).epsilon(0.015));
    CHECK(1e3 * varied.latency.quantile(0.5) == Approx(10 * std::exp(mu)).epsilon(0.03));
    CHECK(1e3 * varied.latency.quantile(0.99) ==
          Approx(10 * std::exp(mu + 2.3263 * sigma)).epsilon(0.05));
    // The same seed draws the same passes; another seed others.
    CHECK(run(cv, 1).latency_sum_s == varied.latency_sum_s);
    CHECK(run(cv, 2).latency_sum_s != varied.latency_sum_s);
  }
}

TEST_CASE("Without dropping, the third request is served late", "[sim]") {
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 1, Duration::zero());
  sim::SimulationConfig c = micro_config(server_a);
  c.drop_expired = false;
  const auto m = sim::simulate(
      s, c, strategy, {{milliseconds(0), 1, 1}, {milliseconds(1), 1, 1}, {milliseconds(2), 1, 1}});
  CHECK(m.services[0].served == 2);
  CHECK(m.services[0].late == 1);
  CHECK(mean_latency_ms(m.services[0]) == Approx((10.0 + 19.0 + 28.0) / 3));
}

TEST_CASE("Dynamic batching: a full batch starts at once, a lone item after the timeout", "[sim]") {
  // Max batch 2, timeout 5 ms. Arrivals 0 and 1 ms form a batch at t = 1 (15 ms pass, done at
  // 16); the arrival at 30 ms waits for its timeout (35) and runs alone (done at 45).
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 2, milliseconds(5));
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 1, 30}, server_a);
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.served == 3);
  CHECK(sm.rejected_total() == 0);
  CHECK(mean_latency_ms(sm) == Approx((16.0 + 15.0 + 15.0) / 3));
}

TEST_CASE("A batch leaves out the items it would finish late, earliest deadline first", "[sim]") {
  // Max batch 2, timeout 1 ms. #0 and #1 (0 and 0.5 ms) run as a pair 0.5–15.5. #2 and #3
  // (1 and 2 ms; deadlines 26 and 27) queue; at 15.5 a pair would end at 30.5, late for both.
  // The pass leaves #2 out (earliest deadline), and #3 alone ends at 25.5: in time.
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 2, milliseconds(1));
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 0.5, 1, 2}, server_a);
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.served == 3);
  CHECK(sm.late == 0);
  CHECK(rejected(sm, RejectReason::Overloaded) == 1);
  CHECK(mean_latency_ms(sm) == Approx((15.5 + 15.0 + 23.5) / 3));
}

TEST_CASE("A pass lasts as long as its heaviest item, counted after the late ones are left out",
          "[sim]") {
  // Work 0.25, 2.5, 0.25 (10, 100, 10 tokens; mean 40). #0 runs alone 0–2.5 ms. #1 (heavy,
  // deadline 26) and #2 (light, deadline 27) queue; at 2.5 the pair would take 15 × 2.5 ms,
  // late for #1, which is left out — and can't make it alone either (10 × 2.5 = 25 ms). #2
  // alone is light again: 10 × 0.25 ms, done at 5 ms (the pass still timed at #1's work
  // would end at 27.5, late).
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 2, milliseconds(0));
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 1, 2}, server_a, {}, {10, 100, 10});
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.served == 2);
  CHECK(rejected(sm, RejectReason::Overloaded) == 1);
  CHECK(mean_latency_ms(sm) == Approx((2.5 + 3.0) / 2));
}

TEST_CASE("A finish is predicted from the passes the instance has finished", "[sim]") {
  // Work 1.2, 1.2, 0.6 (30, 30, 15 tokens; mean 25), 100 ms apart on an idle instance. The
  // first prediction knows no pass: the profile's 10 ms. By the third two passes took 1.2× the
  // profile's time, so it predicts 12 ms (its own work is not known to the server).
  struct Predicting : FixedInstance {
    using FixedInstance::FixedInstance;
    std::vector<double> predicted_ms;
    Decision route(sim::SimView& sim, Request& r, ServerId at, Time now) override {
      const Decision d = FixedInstance::route(sim, r, at, now);
      predicted_ms.push_back(1e3 * to_seconds(std::get<RunLocal>(d).predicted_finish - now));
      return d;
    }
  };
  const Scenario s = micro_scenario();
  Predicting strategy(server_a, 2, milliseconds(0));
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 100, 200}, server_a, {}, {30, 30, 15});
  CHECK(m.services[0].served == 3);
  REQUIRE(strategy.predicted_ms.size() == 3);
  CHECK(strategy.predicted_ms[0] == Approx(10.0));
  CHECK(strategy.predicted_ms[1] == Approx(12.0));
  CHECK(strategy.predicted_ms[2] == Approx(12.0));
}

TEST_CASE("An offloaded request pays the hop: link latency plus its input over the bandwidth",
          "[sim]") {
  // a → b: 2 ms + 1 KiB at 8.192 Gb/s (1 µs), then a 10 ms pass on b.
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_b, 1, Duration::zero());
  const sim::RunMetrics m = run_arrivals(s, strategy, {0}, server_a);
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.served == 1);
  CHECK(sm.offloads == 1);
  CHECK(sm.hops[1] == 1);
  CHECK(mean_latency_ms(sm) == Approx(12.001).margin(1e-6));
}

TEST_CASE("A server failure rejects what it holds and what arrives while it is down", "[sim]") {
  // b fails at 5 ms with #0 in its pass (since 2 ms) and returns at 20 ms, reloading its
  // instance (no load time here). #1, sent at 4 ms, reaches b at 6: down. #2, sent at 30 ms,
  // is served like any offloaded request (12.001 ms).
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_b, 1, Duration::zero());
  const std::vector<sim::Fault> faults = {
      {milliseconds(5), sim::FaultKind::ServerDown, server_b, 0},
      {milliseconds(20), sim::FaultKind::ServerUp, server_b, 0}};
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 4, 30}, server_a, faults);
  const sim::ServiceMetrics& sm = m.services[0];
  CHECK(sm.offered == 3);
  CHECK(rejected(sm, RejectReason::ServerFailed) == 2);
  CHECK(sm.served == 1);
  CHECK(mean_latency_ms(sm) == Approx(12.001).margin(1e-6));
  CHECK(m.balanced());
}

TEST_CASE("Utilization is averaged over the time devices host an instance", "[sim]") {
  // a hosts s until it fails at 500 ms; five 10 ms passes before that (every 100 ms). The
  // instance's 1 GiB of a's 16 GiB is held for those 500 ms, b's GPU hosts nothing.
  const Scenario s = micro_scenario();
  FixedInstance strategy(server_a, 1, Duration::zero());
  const sim::RunMetrics m =
      run_arrivals(s, strategy, {0, 100, 200, 300, 400}, server_a,
                   {{milliseconds(500), sim::FaultKind::ServerDown, server_a, 0}});
  CHECK(m.services[0].served == 5);
  CHECK(m.devices_used == 1);
  CHECK(m.compute_utilization == Approx(50.0 / 500.0));
  CHECK(m.memory_utilization == Approx(1.0 / 16.0));  // not the 0 held at the end
}

namespace {
// Two instances of s share a's GPU (half of it each); the request arriving at 0.5 ms goes to
// the second, every other one to the first.
class TwoTenants : public sim::Strategy {
 public:
  std::string_view name() const override { return "two-tenants"; }
  std::vector<sim::InstanceSpec> deploy(sim::SimView&) override {
    ReplicaTiming t;
    t.pass = {milliseconds(10)};
    t.interval = t.pass;
    const sim::ReplicaConfig one_at_a_time{1, Duration::zero(), t, 0.5, Duration{}};
    return {{service_s, server_a, {0}, one_at_a_time}, {service_s, server_a, {0}, one_at_a_time}};
  }
  Decision route(sim::SimView& sim, Request& r, ServerId at, Time now) override {
    const auto here = sim.serving_on(at, r.service);
    const bool second =
        r.arrival > Time{} + milliseconds(0) && r.arrival < Time{} + milliseconds(1);
    REQUIRE(here.size() == 2);
    const std::uint32_t to = here[second ? 1 : 0];
    return RunLocal{to, sim.predicted_finish(at, to, now), false};
  }
};
}  // namespace

TEST_CASE("A busy tenant does not keep a shared device: waiting tenants go first", "[sim]") {
  // Passes of 10 ms × 1.2 (interference) = 12 ms. The first tenant gets requests at 0, 1, ..., 5
  // ms, the second one at 0.5 ms, which waits for the pass running and goes next (first come,
  // first served, as the executors' DeviceArbiter): done at 24 ms, then the first tenant's at
  // 36, 48, ..., 84 — the slowest is its last (arrived at 5 ms, done at 84: 79 ms). Were the
  // busy tenant to start again at once, the second would wait for all six: 83.5 ms.
  Scenario s = micro_scenario();
  s.services[0].slo = Slo::latency(milliseconds(1000));
  TwoTenants strategy;
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 0.5, 1, 2, 3, 4, 5}, server_a);
  const sim::ServiceMetrics& sm = m.services[0];
  REQUIRE(sm.served == 7);
  CHECK(sm.latency.quantile(1.0) == Approx(0.079).epsilon(0.02));
  CHECK(mean_latency_ms(sm) == Approx((12.0 + 23.5 + 35 + 46 + 57 + 68 + 79) / 7));
}

namespace {
// Two tenants of s on a's GPU; the request at 0 ms goes to the second, later ones to the first.
// The first re-placement keeps one of them: the first (the simulator keeps the first loaded
// instance matching a wanted one), so the second is unloaded.
class UnloadsTheSecond : public TwoTenants {
 public:
  std::optional<std::vector<sim::InstanceSpec>> replan(sim::SimView& sim, Time) override {
    return std::vector<sim::InstanceSpec>{deploy(sim).front()};
  }
  Decision route(sim::SimView& sim, Request& r, ServerId at, Time now) override {
    const auto here = sim.serving_on(at, r.service);
    const std::uint32_t to = r.arrival == Time{} ? here.back() : here.front();
    return RunLocal{to, sim.predicted_finish(at, to, now), false};
  }
};
}  // namespace

TEST_CASE("A tenant unloaded mid-pass frees the shared device for the one waiting", "[sim]") {
  // The second tenant's pass runs 0-12 ms; the first tenant's request (0.5 ms) waits for it.
  // The second is unloaded at 5 ms but finishes its pass; the first then runs alone (no
  // interference): 10 ms, done at 22 ms.
  Scenario s = micro_scenario();
  s.services[0].slo = Slo::latency(milliseconds(1000));
  UnloadsTheSecond strategy;
  sim::SimulationConfig c = micro_config(server_a);
  c.placement_period = milliseconds(5);
  const sim::RunMetrics m = run_arrivals(s, strategy, {0, 0.5}, c);
  CHECK(m.balanced());
  REQUIRE(m.services[0].served == 2);
  CHECK(m.services[0].latency.quantile(1.0) == Approx(0.0215).epsilon(0.02));
}
