#include <random>

#include <catch2/catch.hpp>

#include "epara/parallel/multi_task.hpp"

using namespace epara;
using namespace epara::literals;

namespace {
const std::vector<DeviceClass> classes{{"gpu", DeviceKind::Gpu, 40_GiB, 1.0},
                                       {"small", DeviceKind::Gpu, 8_GiB, 0.2}};

SharedTenant tenant(double share, Duration pass, Duration deadline, Bytes memory = 1_GiB,
                    DeviceClassId cls = DeviceClassId{0}) {
  Plan p;
  p.device_class = cls;
  p.modes = {Mode::MultiTask};
  p.gpu_share = share;
  p.pass_latency = pass;
  p.pass_interval = pass;
  p.batch_timeout = 5ms;
  p.memory_per_gpu = memory;
  return {p, deadline};
}
}  // namespace

TEST_CASE("first fit by decreasing share, within shares, memory and deadlines") {
  // Shares 0.3, 0.5, 0.4 sorted: 0.5 opens a device, 0.4 joins it (0.9), 0.3 would make 1.2.
  const std::vector<SharedTenant> t{tenant(0.3, 10ms, 1s), tenant(0.5, 10ms, 1s),
                                    tenant(0.4, 20ms, 1s)};
  const auto devices = pack_multi_task(t, classes);
  REQUIRE(devices.size() == 2);
  CHECK(devices[0].tenants == std::vector<std::size_t>{1, 2});
  CHECK(devices[0].share == Approx(0.9));
  CHECK(devices[0].memory == 2_GiB);
  // Tenant 1: max(5 ms timeout, 10 ms in progress) + 10 ms own + 20 ms of tenant 2's pass =
  // 40 ms; tenant 2: max(5, 20) + 20 + 10 ms of tenant 1's pass = 50 ms.
  CHECK(devices[0].worst == std::vector<Duration>{40ms, 50ms});
  CHECK(devices[1].tenants == std::vector<std::size_t>{0});
  CHECK(devices[1].worst == std::vector<Duration>{20ms});
}

TEST_CASE("a tenant whose deadline cannot absorb another's pass gets its own device") {
  // Tenant 0 alone: max(5, 10) + 10 = 20 ms <= 30 ms; beside tenant 1's 50 ms pass: 70 ms.
  const std::vector<SharedTenant> t{tenant(0.2, 10ms, 30ms), tenant(0.3, 50ms, 1s)};
  const auto devices = pack_multi_task(t, classes);
  CHECK(devices.size() == 2);
}

TEST_CASE("a one-item tenant shares with a rarely busy neighbour, not with a busy one") {
  // "tokens": 500 requests/s, one a pass of 1 ms: a wait of 1/500 s - 1 ms = 1 ms of others'
  // passes leaves at most one request queued behind its own. Its deadline alone would allow a
  // neighbour's 8 ms pass (max(5, 1) + 1 + 8 = 14 ms <= 20 ms).
  SharedTenant tokens = tenant(0.3, 1ms, 20ms);
  tokens.plan.max_batch = 1;
  tokens.plan.demand = Rate{500};
  tokens.plan.utilization = 0.5;
  SharedTenant busy = tenant(0.6, 8ms, 1s);
  busy.plan.utilization = 0.6;  // 0.6 × 8 ms = 4.8 ms > 1 ms: tokens falls behind
  SharedTenant rare = tenant(0.6, 8ms, 1s);
  rare.plan.utilization = 0.1;  // 0.1 × 8 ms = 0.8 ms <= 1 ms
  CHECK(pack_multi_task(std::vector<SharedTenant>{busy, tokens}, classes).size() == 2);
  CHECK(pack_multi_task(std::vector<SharedTenant>{rare, tokens}, classes).size() == 1);
  // With batches of 4 it drains what queued: 4/500 s - 1 ms = 7 ms >= 4.8 ms.
  tokens.plan.max_batch = 4;
  CHECK(pack_multi_task(std::vector<SharedTenant>{busy, tokens}, classes).size() == 1);
}

TEST_CASE("memory and device class separate tenants") {
  const std::vector<SharedTenant> memory{tenant(0.2, 1ms, 1s, 30_GiB),
                                         tenant(0.2, 1ms, 1s, 20_GiB)};
  CHECK(pack_multi_task(memory, classes).size() == 2);
  const std::vector<SharedTenant> kinds{tenant(0.2, 1ms, 1s),
                                        tenant(0.2, 1ms, 1s, 1_GiB, DeviceClassId{1})};
  const auto devices = pack_multi_task(kinds, classes);
  REQUIRE(devices.size() == 2);
  CHECK(devices[1].device_class == DeviceClassId{1});
}

TEST_CASE("only multi-task plans can be packed") {
  SharedTenant whole = tenant(0.5, 1ms, 1s);
  whole.plan.modes = {Mode::Batching};
  CHECK_THROWS_WITH(pack_multi_task(std::vector<SharedTenant>{whole}, classes),
                    Catch::Contains("needs a multi-task plan"));
}

TEST_CASE("random packings respect every constraint") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> share(0.01, 0.8), ms(1, 50), deadline(20, 400);
  std::uniform_real_distribution<double> rate(0, 500), busy(0, 0.9);
  std::uniform_int_distribution<int> gib(1, 12), cls(0, 1), count(1, 30), batch(1, 16);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<SharedTenant> t;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) {
      const auto c = DeviceClassId{static_cast<std::uint32_t>(cls(rng))};
      t.push_back(tenant(share(rng), from_ms(ms(rng)), from_ms(deadline(rng) + 110),
                         Bytes::gib(gib(rng) % (c == DeviceClassId{1} ? 8 : 40) + 0.5), c));
      t.back().plan.max_batch = batch(rng);
      t.back().plan.demand = Rate{rate(rng)};
      t.back().plan.utilization = busy(rng);
    }
    const auto devices = pack_multi_task(t, classes);
    std::vector<int> placed(t.size(), 0);
    for (const SharedDevice& d : devices) {
      REQUIRE(d.share <= 1.0 + 1e-12);
      REQUIRE(d.memory <= classes[index_of(d.device_class)].memory);
      for (std::size_t k = 0; k < d.tenants.size(); ++k) {
        const std::size_t i = d.tenants[k];
        ++placed[i];
        REQUIRE(t[i].plan.device_class == d.device_class);
        REQUIRE(d.worst[k] <= t[i].deadline);
        // Beside others, their passes weighted by their utilization fit in what tenant i drains
        // in one pass: rate × (that wait + its own pass) <= its batch.
        if (d.tenants.size() == 1) continue;
        double others = 0.0;
        for (std::size_t j : d.tenants)
          if (j != i) others += t[j].plan.utilization * to_seconds(t[j].plan.pass_latency);
        REQUIRE(t[i].plan.demand.per_second * (others + to_seconds(t[i].plan.pass_latency)) <=
                t[i].plan.max_batch + 1e-6);
      }
    }
    for (int p : placed) REQUIRE(p == 1);
  }
}
