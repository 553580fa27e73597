#include <random>

#include <catch2/catch.hpp>

#include "epara/model/cluster.hpp"

using namespace epara;
using namespace std::chrono_literals;

namespace {
constexpr ServerId s(std::uint32_t i) { return ServerId{i}; }
Link link(std::uint32_t a, std::uint32_t b, Duration latency, double gbit) {
  return {s(a), s(b), latency, Bandwidth::gbit_per_s(gbit)};
}
}  // namespace

TEST_CASE("the path of least latency is chosen, even over more hops") {
  // 0 --5ms/10G-- 1 --5ms/10G-- 2, and a direct 0 --20ms/100G-- 2
  const Network net(3, {link(0, 1, 5ms, 10), link(1, 2, 5ms, 10), link(0, 2, 20ms, 100)});
  const auto p = net.path(s(0), s(2));
  REQUIRE(p);
  CHECK(p->latency == 10ms);
  CHECK(p->bottleneck == Bandwidth::gbit_per_s(10));
  // 1 MB at 10 Gbit/s = 0.8 ms of serialization, paid once for the whole path.
  CHECK(p->transfer_time(Bytes{1'000'000}) == Duration{10'800'000});
  CHECK(net.path(s(2), s(0)) == p);  // links are undirected
}

TEST_CASE("among equally fast paths the widest bottleneck wins") {
  // 0-1-3 at 1 Gbit/s and 0-2-3 at 10 Gbit/s, both 2 ms.
  const Network net(
      4, {link(0, 1, 1ms, 1), link(1, 3, 1ms, 1), link(0, 2, 1ms, 10), link(2, 3, 1ms, 10)});
  CHECK(net.path(s(0), s(3))->bottleneck == Bandwidth::gbit_per_s(10));
  CHECK(net.path(s(0), s(3))->latency == 2ms);
}

TEST_CASE("a server reaches itself for free, and unjoined servers are unreachable") {
  const Network net(3, {link(0, 1, 1ms, 1)});
  CHECK(net.path(s(1), s(1))->latency == Duration::zero());
  CHECK(net.path(s(1), s(1))->transfer_time(Bytes{1 << 30}) == Duration::zero());
  CHECK_FALSE(net.path(s(0), s(2)));
  CHECK_FALSE(net.is_connected());
  CHECK(Network(2, {link(0, 1, 1ms, 1)}).is_connected());
  CHECK(Network(1, {}).is_connected());
}

TEST_CASE("bad links are rejected") {
  CHECK_THROWS_WITH(Network(2, {link(0, 2, 1ms, 1)}), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(Network(2, {link(1, 1, 1ms, 1)}), Catch::Contains("to itself"));
  CHECK_THROWS_WITH(Network(2, {link(0, 1, -1ms, 1)}), Catch::Contains("negative latency"));
  CHECK_THROWS_WITH(Network(2, {link(0, 1, 1ms, 0)}), Catch::Contains("bandwidth"));
  CHECK_THROWS_AS(Network(2, {}).path(s(0), s(5)), InvalidArgument);
}

TEST_CASE("paths match a Floyd-Warshall reference on random networks") {
  // Property (fixed seed): latency is the all-pairs shortest path; among shortest paths the
  // bottleneck is the widest. Widest-shortest is an isotone path algebra, so Floyd-Warshall on
  // (latency, bandwidth) pairs is a valid reference.
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 60; ++trial) {
    const auto n = std::uniform_int_distribution<std::uint32_t>(2, 24)(rng);
    std::vector<Link> links;
    std::bernoulli_distribution has_link(0.2);
    std::uniform_int_distribution<int> latency_us(1, 4), gbit(1, 4);  // few values: many ties
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = a + 1; b < n; ++b)
        if (has_link(rng))
          links.push_back(link(a, b, std::chrono::microseconds(latency_us(rng)), gbit(rng)));
    const Network net(n, links);

    constexpr std::int64_t inf = std::numeric_limits<std::int64_t>::max() / 4;
    std::vector<std::vector<std::pair<std::int64_t, double>>> ref(
        n, std::vector<std::pair<std::int64_t, double>>(n, {inf, 0.0}));
    for (std::uint32_t i = 0; i < n; ++i) ref[i][i] = {0, std::numeric_limits<double>::infinity()};
    for (const Link& l : links) {
      const std::pair<std::int64_t, double> w{l.latency.count(), l.bandwidth.bytes_per_second};
      ref[index_of(l.a)][index_of(l.b)] = ref[index_of(l.b)][index_of(l.a)] = w;
    }
    for (std::uint32_t k = 0; k < n; ++k)
      for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t j = 0; j < n; ++j) {
          const std::pair<std::int64_t, double> via{ref[i][k].first + ref[k][j].first,
                                                    std::min(ref[i][k].second, ref[k][j].second)};
          auto& cur = ref[i][j];
          if (via.first < cur.first || (via.first == cur.first && via.second > cur.second))
            cur = via;
        }
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t j = 0; j < n; ++j) {
        const auto p = net.path(s(i), s(j));
        if (ref[i][j].first >= inf) {
          REQUIRE_FALSE(p);
          continue;
        }
        REQUIRE(p);
        REQUIRE(p->latency.count() == ref[i][j].first);
        REQUIRE(p->bottleneck.bytes_per_second == ref[i][j].second);
      }
  }
}

TEST_CASE("a cluster finds its device classes and servers by name") {
  Cluster c;
  c.device_classes = {{"gpu-a", DeviceKind::Gpu, Bytes::gib(8), 1.0},
                      {"gpu-b", DeviceKind::Gpu, Bytes::gib(8), 1.0},
                      {"cpu", DeviceKind::Cpu, Bytes::gib(8), 1.0}};
  c.servers = {{"one", ServerKind::EdgeServer, {DeviceClassId{1}, DeviceClassId{1}}, {}},
               {"pi", ServerKind::Microcomputer, {}, DeviceClassId{2}}};
  CHECK(c.find_server("pi") == ServerId{1});
  CHECK_FALSE(c.find_server("nope"));
  CHECK(c.find_device_class("cpu") == DeviceClassId{2});
  CHECK(c.gpu_classes_present() == std::vector<DeviceClassId>{DeviceClassId{1}});
  CHECK(c.gpu_count() == 2);
  CHECK_THROWS_AS(c.server(ServerId{2}), InvalidArgument);
}
