// The warnings a valid scenario may still earn: a latency curve that falls as its batch grows,
// and a service that no device can serve. Programs print them; nothing else changes.

#include <catch2/catch.hpp>

#include "epara/io/scenario_json.hpp"
#include "epara/scenario_warnings.hpp"

using namespace epara;

namespace {

// One 16 GiB GPU; service s on profile p (points and deadline given), 10 requests/s.
Scenario one_service(const std::string& points, int deadline_ms, double memory_gib = 1) {
  return io::parse_scenario(R"({
    "device_classes": [{"name": "g", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
    "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "g", "count": 1}]}],
    "network": {"links": []},
    "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "g", "gpus": 1,
      "points": )" + points + R"(}]}],
    "services": [{"name": "s", "profile": "p", "model_memory_gib": )" +
                                std::to_string(memory_gib) + R"(, "input_kib": 1,
                  "slo": {"type": "latency", "deadline_ms": )" +
                                std::to_string(deadline_ms) + R"(}}],
    "demand": [{"service": "s", "origin": "a", "rate_per_s": 10}]})",
                            "w.json");
}

}  // namespace

TEST_CASE("a scenario whose curves rise and whose services fit earns no warning") {
  CHECK(scenario_warnings(one_service(
                              R"([{"batch": 1, "latency_ms": 10}, {"batch": 4, "latency_ms": 10},
                {"batch": 8, "latency_ms": 20}])",
                              100))
            .empty());
}

TEST_CASE("a curve that falls as its batch grows is named with its largest fall") {
  const auto w = scenario_warnings(one_service(
      R"([{"batch": 1, "latency_ms": 10}, {"batch": 2, "latency_ms": 9},
          {"batch": 4, "latency_ms": 6}, {"batch": 8, "latency_ms": 12}])",
      100));
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "profiles[0].curves[0] ('p' on g, 1 device): latency falls as the batch grows at 2 of 3 "
        "steps, by up to 33.3% (batch 2 -> 4): noise in the measurement, or a wrong profile");
}

TEST_CASE("a service no device can serve is named with the allocator's reason") {
  SECTION("its deadline is shorter than one item's pass") {
    const auto w = scenario_warnings(one_service(R"([{"batch": 1, "latency_ms": 10}])", 5));
    REQUIRE(w.size() == 1);
    CHECK_THAT(w[0], Catch::StartsWith("services[0] ('s'): no device of the cluster can serve "
                                       "it (deadline-too-tight: even one item alone takes"));
  }
  SECTION("its model fits no device") {
    const auto w = scenario_warnings(one_service(R"([{"batch": 1, "latency_ms": 10}])", 100, 40));
    REQUIRE(w.size() == 1);
    CHECK_THAT(w[0], Catch::Contains("(memory-exceeded: model needs"));
  }
}

TEST_CASE("a load beyond the cluster is no warning: part of it is served") {
  // 10 ms a request alone, 10 requests/s would fit; 1,000/s needs more than the one GPU.
  Scenario s = one_service(R"([{"batch": 1, "latency_ms": 10}])", 100);
  s.demand[0].rate = Rate{1000};
  CHECK(scenario_warnings(s).empty());
}
