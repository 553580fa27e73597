// The fluid LP bound on goodput: hand-computed optima on scenarios small enough to solve by hand.

#include <catch2/catch.hpp>

#include "epara/bound/fluid_bound.hpp"
#include "epara/io/scenario_json.hpp"

using namespace epara;
using bound::fluid_bound;
using bound::OfferedRate;

namespace {

constexpr ServerId a = id_at<ServerId>(0);
constexpr ServerId b = id_at<ServerId>(1);
constexpr ServiceId s0 = id_at<ServiceId>(0);

// Servers a and b, one 16 GiB GPU each, 2 ms apart at 1 GB/s; service s: 10 ms passes at batch
// 1, 15 ms at batch 2 (so 100/s or 133.3/s per GPU), 1 KiB inputs, `deadline_ms`.
Scenario two_servers(double deadline_ms, double memory_gib = 1) {
  return io::parse_scenario(fmt::format(R"({{
    "device_classes": [{{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}}],
    "servers": [
      {{"name": "a", "kind": "edge_server", "gpus": [{{"device_class": "g", "count": 1}}]}},
      {{"name": "b", "kind": "edge_server", "gpus": [{{"device_class": "g", "count": 1}}]}}],
    "network": {{"links": [{{"between": ["a", "b"], "latency_ms": 2, "bandwidth_gbps": 8.192}}]}},
    "profiles": [{{"name": "p", "source": "test", "curves": [{{"device_class": "g", "gpus": 1,
      "points": [{{"batch": 1, "latency_ms": 10}}, {{"batch": 2, "latency_ms": 15}}]}}]}}],
    "services": [{{"name": "s", "profile": "p", "model_memory_gib": {}, "input_kib": 1,
                  "slo": {{"type": "latency", "deadline_ms": {}}}}}],
    "demand": []
  }})",
                                        memory_gib, deadline_ms),
                            "two-servers.json");
}

}  // namespace

TEST_CASE("fluid bound: the best pass within the deadline, on every server it can reach",
          "[bound]") {
  const std::vector<OfferedRate> lots{{s0, a, 1000.0, 1.0}};
  // 25 ms: batch 2 fits locally and after the 2.001 ms hop: 2 × 2/15 ms.
  CHECK(fluid_bound(two_servers(25), lots).goodput == Approx(2 * 2 / 0.015));
  // 14 ms: only batch 1 (10 ms) fits, locally and remotely: 2 × 100/s.
  CHECK(fluid_bound(two_servers(14), lots).goodput == Approx(200.0));
  // 11 ms: the hop leaves 8.999 ms at b, less than one pass; a alone serves 100/s.
  CHECK(fluid_bound(two_servers(11), lots).goodput == Approx(100.0));
  // 9 ms: nothing fits anywhere.
  const bound::FluidBound none = fluid_bound(two_servers(9), lots);
  CHECK(none.goodput == 0.0);
  CHECK(none.alone == std::vector<double>{0.0});
  // Less demand than capacity: all of it, on 150 / 133.3 device-seconds per second.
  const std::vector<OfferedRate> some{{s0, a, 150.0, 1.0}};
  const bound::FluidBound met = fluid_bound(two_servers(25), some);
  CHECK(met.offered == 150.0);
  CHECK(met.goodput == Approx(150.0));
  CHECK(met.per_service.at(0) == Approx(150.0));
  CHECK(met.devices_busy == Approx(150.0 * 0.015 / 2));
}

TEST_CASE("fluid bound: lighter work serves more, a model too big for a device serves none",
          "[bound]") {
  const std::vector<OfferedRate> light{{s0, a, 1000.0, 0.5}};
  // Half the work: 5 ms and 7.5 ms passes, 266.7/s per GPU at batch 2.
  CHECK(fluid_bound(two_servers(25), light).goodput == Approx(2 * 2 / 0.0075));
  const std::vector<OfferedRate> lots{{s0, a, 1000.0, 1.0}};
  CHECK(fluid_bound(two_servers(25, 20), lots).goodput == 0.0);  // 20 GiB on 16 GiB GPUs
}

TEST_CASE("fluid bound: services compete for devices, alone each has the whole cluster",
          "[bound]") {
  Scenario s = two_servers(25);
  const ServiceSpec& first = s.services[0];
  s.services.push_back({"t", Slo::latency(std::chrono::milliseconds(12)),  // 100/s per GPU
                        first.model_memory, first.profile, first.input_size});
  const ServiceId s1 = id_at<ServiceId>(1);
  const std::vector<OfferedRate> both{{s0, a, 1000.0, 1.0}, {s1, a, 1000.0, 1.0}};
  const bound::FluidBound r = fluid_bound(s, both);
  // Each device-second serves 133.3 of s or 100 of t: all on s is best.
  CHECK(r.goodput == Approx(2 * 2 / 0.015));
  CHECK(r.per_service[1] == Approx(0.0).margin(1e-6));
  // t alone: a serves 100/s; the hop to b leaves 9.999 ms, less than a pass.
  CHECK(r.alone.at(0) == Approx(2 * 2 / 0.015));
  CHECK(r.alone.at(1) == Approx(100.0));
  // Max-min: t reaches at most 100/s (a's GPU, 10% of its offer); s then has b: 133.3/s.
  CHECK(r.fair_attainment == Approx(0.1));
  CHECK(r.fair_goodput == Approx(100.0 + 2 / 0.015));
  // A floor of 5%: t takes half of a's GPU, s the rest of a and all of b.
  const auto floored = bound::fluid_bound_with_floor(s, both, 0.05);
  REQUIRE(floored);
  CHECK(floored->goodput == Approx(50.0 + 1.5 * 2 / 0.015));
  CHECK(floored->per_service.at(1) == Approx(50.0));
  CHECK_FALSE(bound::fluid_bound_with_floor(s, both, 0.2));  // above the fair attainment
}

TEST_CASE("fluid bound: declared demand as rates, streams rounded as the simulator does",
          "[bound]") {
  Scenario s = two_servers(25);
  const ServiceSpec& first = s.services[0];
  s.services.push_back({"video", Slo::frequency(Rate{30}, std::chrono::milliseconds(25)),
                        first.model_memory, first.profile, first.input_size});
  s.demand = {{s0, a, Rate{40}, 0}, {id_at<ServiceId>(1), b, Rate{}, 3}};
  const auto rates = bound::declared_rates(s, 1.5);
  REQUIRE(rates.size() == 2);
  CHECK(rates[0].items_per_s == Approx(60.0));
  CHECK(rates[1].items_per_s == Approx(30.0 * 5));  // round(3 × 1.5) = 5 streams (4.5 rounds up)
  CHECK(rates[1].origin == b);
  CHECK_THROWS_WITH(fluid_bound(s, std::vector<OfferedRate>{{id_at<ServiceId>(7), a, 1.0, 1.0}}),
                    Catch::Contains("service id 7 out of range"));
  CHECK_THROWS_WITH(fluid_bound(s, std::vector<OfferedRate>{{s0, a, -1.0, 1.0}}),
                    Catch::Contains("rates must be >= 0"));
}

TEST_CASE("fluid bound: a down device serves nothing, a down origin's requests are lost",
          "[bound]") {
  const Scenario s = two_servers(25);
  const std::vector<OfferedRate> lots{{s0, a, 1000.0, 1.0}};
  const double per_gpu = 2 / 0.015;  // batch 2 in 15 ms, locally or after the 2 ms hop
  // b down: a's GPU alone.
  CHECK(fluid_bound(s, lots, {.servers = {b}}).goodput == Approx(per_gpu));
  // a's GPU down, a up: a's requests go to b.
  CHECK(fluid_bound(s, lots, {.devices = {{a, 0}}}).goodput == Approx(per_gpu));
  // a down: its requests are rejected where they arrive, though b is free; still offered.
  const bound::FluidBound lost = fluid_bound(s, lots, {.servers = {a}});
  CHECK(lost.goodput == 0.0);
  CHECK(lost.offered == 1000.0);
  CHECK(lost.fair_attainment == 0.0);
  CHECK_THROWS_WITH(fluid_bound(s, lots, {.servers = {id_at<ServerId>(5)}}),
                    Catch::Contains("down server id 5 out of range"));
  CHECK_THROWS_WITH(fluid_bound(s, lots, {.devices = {{b, 1}}}),
                    Catch::Contains("down device 1 of server id 1 does not exist"));
}
