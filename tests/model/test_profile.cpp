#include <catch2/catch.hpp>

#include "epara/model/profile.hpp"

using namespace epara;
using namespace std::chrono_literals;
using namespace epara::literals;

namespace {
const std::vector<DeviceClass> classes{
    {"fast", DeviceKind::Gpu, 40_GiB, 1.0},    // id 0
    {"half", DeviceKind::Gpu, 24_GiB, 0.5},    // id 1
    {"slow", DeviceKind::Gpu, 16_GiB, 0.25},   // id 2
    {"cpu", DeviceKind::Cpu, 8_GiB, 1.0},      // id 3
    {"cpu-slow", DeviceKind::Cpu, 4_GiB, 0.5}  // id 4
};
constexpr auto fast = DeviceClassId{0}, half = DeviceClassId{1}, slow = DeviceClassId{2},
               cpu = DeviceClassId{3}, cpu_slow = DeviceClassId{4};

Profile profile() {
  Profile p{"model", "test", {}};
  p.curves.push_back({fast, 1, LatencyCurve({{1, 10ms}, {8, 24ms}})});
  p.curves.push_back({fast, 2, LatencyCurve({{1, 6ms}})});
  p.curves.push_back({cpu, 1, LatencyCurve({{1, 100ms}})});
  return p;
}
}  // namespace

TEST_CASE("a curve measured on the target class is used as it is") {
  const auto e = estimate_latency(profile(), classes, fast, 1, 4);
  REQUIRE(e);
  CHECK(e->latency == 16ms);
  CHECK(e->measured_on == fast);
  CHECK_FALSE(e->scaled);
  CHECK(profile().find(fast, 2) != nullptr);
  CHECK(profile().find(half, 1) == nullptr);
}

TEST_CASE("an unmeasured class is scaled from the nearest-speed class of its kind") {
  SECTION("from the only measured GPU class") {
    const auto e = estimate_latency(profile(), classes, half, 1, 4);
    REQUIRE(e);
    CHECK(e->latency == 32ms);  // 16 ms × 1.0 / 0.5
    CHECK(e->measured_on == fast);
    CHECK(e->scaled);
    CHECK(estimate_latency(profile(), classes, slow, 1, 1)->latency == 40ms);  // 10 ms × 4
  }
  SECTION("the closest speed wins") {
    Profile p = profile();
    p.curves.push_back({half, 1, LatencyCurve({{1, 18ms}})});
    const auto e = estimate_latency(p, classes, slow, 1, 1);
    REQUIRE(e);
    CHECK(e->measured_on == half);
    CHECK(e->latency == 36ms);  // 18 ms × 0.5 / 0.25
  }
  SECTION("per replica size") {
    CHECK(estimate_latency(profile(), classes, half, 2, 1)->latency == 12ms);
    CHECK_FALSE(estimate_latency(profile(), classes, half, 4, 1));
  }
  SECTION("never across kinds") {
    CHECK(estimate_latency(profile(), classes, cpu_slow, 1, 1)->latency == 200ms);
    Profile gpu_only = profile();
    gpu_only.curves.pop_back();
    CHECK_FALSE(estimate_latency(gpu_only, classes, cpu, 1, 1));
    Profile cpu_only{"m", "t", {{cpu, 1, LatencyCurve({{1, 100ms}})}}};
    CHECK_FALSE(estimate_latency(cpu_only, classes, fast, 1, 1));
  }
}

TEST_CASE("batches beyond a curve's max_batch have no estimate") {
  CHECK(estimate_latency(profile(), classes, fast, 1, 8));
  CHECK_FALSE(estimate_latency(profile(), classes, fast, 1, 9));
  CHECK_FALSE(estimate_latency(profile(), classes, half, 1, 9));
  CHECK_THROWS_AS(estimate_latency(profile(), classes, DeviceClassId{9}, 1, 1), InvalidArgument);
}
