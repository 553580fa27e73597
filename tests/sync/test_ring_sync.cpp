#include <algorithm>
#include <memory>
#include <random>

#include <catch2/catch.hpp>

#include "epara/sync/ring_sync.hpp"

using namespace epara;
using namespace std::chrono_literals;

namespace {

// N servers in lockstep periods; messages and acks arrive at once unless dropped.
struct Ring {
  std::vector<ServerId> order;
  std::vector<std::unique_ptr<RingSync>> nodes;
  std::vector<bool> alive;
  std::vector<std::uint32_t> incarnation;
  SyncOptions options;
  Time now{};
  std::mt19937_64 rng{1};
  double loss = 0.0;

  Ring(std::size_t n, SyncOptions o, std::uint64_t seed) : options(o), rng(seed) {
    for (std::size_t i = 0; i < n; ++i) order.push_back(id_at<ServerId>(i));
    std::shuffle(order.begin(), order.end(), rng);  // ring order differs from id order
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back(std::make_unique<RingSync>(id_at<ServerId>(i), order, 0, options));
      alive.push_back(true);
      incarnation.push_back(0);
    }
  }
  bool delivered() { return std::uniform_real_distribution<>(0, 1)(rng) >= loss; }

  void period() {
    std::vector<std::size_t> turn(nodes.size());
    for (std::size_t i = 0; i < turn.size(); ++i) turn[i] = i;
    std::shuffle(turn.begin(), turn.end(), rng);  // any order within a period
    for (std::size_t i : turn) {
      if (!alive[i]) continue;
      ServerDigest own;
      own.instances = {{ServiceId{0}, 5ms, 10ms, 2ms, 12.5f}};
      nodes[i]->refresh(own, now);
      const auto out = nodes[i]->tick(now);
      if (!out || !alive[index_of(out->to)] || !delivered()) continue;
      const SyncAck ack = nodes[index_of(out->to)]->receive(out->message, now);
      if (delivered()) nodes[i]->acknowledge(ack, now);
    }
    now += options.period;
  }
  void kill(std::size_t i) { alive[i] = false; }
  void restart(std::size_t i) {
    nodes[i] = std::make_unique<RingSync>(id_at<ServerId>(i), order, ++incarnation[i], options);
    alive[i] = true;
  }
  // True when every alive server holds an entry of every alive server.
  bool converged() const {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      for (std::size_t j = 0; alive[i] && j < nodes.size(); ++j)
        if (alive[j] && nodes[i]->entry(id_at<ServerId>(j), now) == nullptr) return false;
    return true;
  }
  Duration oldest_alive_entry() const {
    Duration oldest{};
    for (std::size_t i = 0; i < nodes.size(); ++i)
      for (std::size_t j = 0; alive[i] && j < nodes.size(); ++j)
        if (alive[j]) oldest = std::max(oldest, nodes[i]->age_of(id_at<ServerId>(j), now).value());
    return oldest;
  }
};

const SyncOptions fast{100ms, 50ms, 10s};

}  // namespace

TEST_CASE("every view holds every entry within N periods on a ring of N") {
  for (std::size_t n : {2u, 3u, 7u, 16u, 40u}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      Ring ring(n, fast, seed);
      for (std::size_t p = 0; p < n; ++p) ring.period();
      INFO("n = " << n << ", seed " << seed);
      REQUIRE(ring.converged());
      // Staleness: an entry is at most about a ring's length of periods old.
      REQUIRE(ring.oldest_alive_entry() <= fast.period * static_cast<int>(n + 1));
    }
  }
}

TEST_CASE("a dead server is skipped, the ring heals, and its entry ages out") {
  const std::size_t n = 12;
  const SyncOptions o{100ms, 50ms, 3s};
  Ring ring(n, o, 9);
  for (std::size_t p = 0; p < n; ++p) ring.period();
  REQUIRE(ring.converged());
  const std::size_t dead = 5;
  const ServerId dead_id = id_at<ServerId>(dead);
  ring.kill(dead);
  // Its predecessor notices within a period or two and sends past it.
  const auto at = static_cast<std::size_t>(
      std::find(ring.order.begin(), ring.order.end(), dead_id) - ring.order.begin());
  const ServerId predecessor = ring.order[(at + n - 1) % n];
  ring.period();
  ring.period();
  CHECK(ring.nodes[index_of(predecessor)]->suspects(dead_id));
  CHECK(ring.nodes[index_of(predecessor)]->successor(ring.now) != dead_id);
  // Healed: alive entries stay fresh — at most a ring's length of periods old.
  for (std::size_t p = 0; p < n; ++p) ring.period();
  CHECK(ring.converged());
  CHECK(ring.oldest_alive_entry() <= o.period * static_cast<int>(n + 2));
  // Its own entry expires everywhere once older than the TTL.
  for (int p = 0; p < 30; ++p) ring.period();
  for (std::size_t i = 0; i < n; ++i)
    if (ring.alive[i]) CHECK(ring.nodes[i]->entry(dead_id, ring.now) == nullptr);

  SECTION("a returning server rejoins with a new incarnation") {
    ring.restart(dead);
    for (std::size_t p = 0; p < 2 * n; ++p) ring.period();
    CHECK(ring.converged());
    for (std::size_t i = 0; i < n; ++i)
      CHECK(ring.nodes[i]->entry(dead_id, ring.now)->digest->version >> 32 == 1);
    CHECK(ring.nodes[index_of(predecessor)]->successor(ring.now) == dead_id);
  }
}

TEST_CASE("a server suspected behind a successor that recovers is believed alive again") {
  // Ring 0 -> 1 -> 2 -> 3 -> 0. Servers 1 and 2 start late: 0's sends to them time out, so it
  // suspects both and sends to 3. Once they run, 1 becomes 0's successor again, so 0 never
  // sends to 2; but 2's entry comes round (2 -> 3 -> 0), and that tells 0 that 2 lives.
  const SyncOptions o{100ms, 50ms, 3s};
  std::vector<ServerId> order;
  std::vector<std::unique_ptr<RingSync>> nodes;
  for (std::size_t i = 0; i < 4; ++i) order.push_back(id_at<ServerId>(i));
  for (std::size_t i = 0; i < 4; ++i)
    nodes.push_back(std::make_unique<RingSync>(order[i], order, 0, o));
  Time now{};
  const auto run = [&](const std::vector<std::size_t>& running, int periods) {
    for (int p = 0; p < periods; ++p, now += o.period)
      for (std::size_t i : running) {
        nodes[i]->refresh({}, now);
        const auto out = nodes[i]->tick(now);
        if (!out || std::find(running.begin(), running.end(), index_of(out->to)) == running.end())
          continue;  // a server not running yet neither receives nor acknowledges
        nodes[i]->acknowledge(nodes[index_of(out->to)]->receive(out->message, now), now);
      }
  };
  run({0, 3}, 4);
  REQUIRE(nodes[0]->suspects(order[1]));
  REQUIRE(nodes[0]->suspects(order[2]));
  run({0, 1, 2, 3}, 8);
  CHECK(nodes[0]->successor(now) == order[1]);
  CHECK_FALSE(nodes[0]->suspects(order[1]));
  REQUIRE(nodes[0]->entry(order[2], now) != nullptr);
  CHECK_FALSE(nodes[0]->suspects(order[2]));  // it was believed dead for good
}

TEST_CASE("lost messages and acks are tolerated") {
  // Property (fixed seeds): with 30% of messages and acks lost, views still converge, and no
  // entry of a live server grows older than a few ring rounds.
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const std::size_t n = 10;
    Ring ring(n, {100ms, 50ms, 60s}, seed);
    ring.loss = 0.3;
    Duration worst{};
    for (int p = 0; p < 300; ++p) {
      ring.period();
      if (p >= 100) worst = std::max(worst, ring.oldest_alive_entry());
    }
    INFO("seed " << seed);
    CHECK(ring.converged());
    CHECK(worst < 100ms * static_cast<int>(8 * n));
  }
}

TEST_CASE("merge: the higher version wins, on a tie the younger copy, and ours stays ours") {
  const std::vector<ServerId> ring{ServerId{0}, ServerId{1}, ServerId{2}};
  RingSync s(ServerId{0}, ring);
  s.refresh({}, Time{});
  const auto digest = [](std::uint32_t server, std::uint64_t version) {
    ServerDigest d;
    d.server = ServerId{server};
    d.version = version;
    return std::make_shared<const ServerDigest>(std::move(d));
  };
  s.receive({ServerId{2}, 1, {{digest(1, 5), 300ms}}}, Time{});
  CHECK(s.entry(ServerId{1}, Time{})->digest->version == 5);
  s.receive({ServerId{2}, 2, {{digest(1, 4), 0ms}}}, Time{});  // older version: ignored
  CHECK(s.entry(ServerId{1}, Time{})->digest->version == 5);
  CHECK(*s.age_of(ServerId{1}, Time{}) == 300ms);
  s.receive({ServerId{2}, 3, {{digest(1, 5), 100ms}}}, Time{});  // same version, younger
  CHECK(*s.age_of(ServerId{1}, Time{} + 50ms) == 150ms);
  s.receive({ServerId{2}, 4, {{digest(0, 99), 0ms}}}, Time{});  // a copy of our own entry
  CHECK(s.entry(ServerId{0}, Time{})->digest->version == 1);
  s.receive({ServerId{2}, 5, {{digest(7, 1), 0ms}}}, Time{});  // not in the ring: ignored
  CHECK(s.entry(ServerId{7}, Time{}) == nullptr);
  // An entry without a digest refuses the whole message: the newer entry before it is not kept.
  CHECK_THROWS_AS(s.receive({ServerId{2}, 6, {{digest(1, 9), 0ms}, {nullptr, 0ms}}}, Time{}),
                  InvalidArgument);
  CHECK(s.entry(ServerId{1}, Time{})->digest->version == 5);
  CHECK_THROWS_AS(RingSync(ServerId{9}, ring), InvalidArgument);
  CHECK_THROWS_AS(RingSync(ServerId{0}, {ServerId{0}, ServerId{0}}), InvalidArgument);
}

TEST_CASE("digests encode compactly and decode exactly, and garbage is refused") {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<std::uint32_t> small(0, 20);
  for (int trial = 0; trial < 200; ++trial) {
    SyncMessage m{ServerId{small(rng)}, rng(), {}};
    std::size_t expected = 20;  // magic, sender, sequence, count
    for (std::uint32_t e = small(rng); e > 0; --e) {
      ServerDigest d;
      d.server = ServerId{small(rng)};
      d.version = rng();
      d.free_memory = Bytes{static_cast<std::int64_t>(rng() >> 2)};
      for (std::uint32_t i = small(rng); i > 0; --i)
        d.instances.push_back({ServiceId{small(rng)}, std::chrono::microseconds(small(rng) * 1000),
                               std::chrono::microseconds(small(rng) * 7),
                               std::chrono::microseconds(small(rng) * 3),
                               static_cast<float>(small(rng)) / 4});
      for (std::uint32_t i = small(rng); i > 0; --i)
        d.demand.push_back({ServiceId{small(rng)}, static_cast<float>(small(rng))});
      expected += encoded_size(d);
      m.entries.push_back({std::make_shared<const ServerDigest>(std::move(d)),
                           std::chrono::microseconds(rng() >> 30)});
    }
    const auto bytes = encode(m);
    REQUIRE(bytes.size() == expected);
    REQUIRE(decode(bytes) == m);
    if (bytes.size() > 20) {
      auto truncated = bytes;
      truncated.pop_back();
      REQUIRE_THROWS_AS(decode(truncated), InvalidArgument);
    }
  }
  std::vector<std::uint8_t> garbage(64);
  for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
  CHECK_THROWS_WITH(decode(garbage), Catch::Contains("not a libepara sync message"));
  CHECK_THROWS_AS(decode(std::vector<std::uint8_t>{}), InvalidArgument);
}

TEST_CASE("a message written into reused storage equals a fresh one") {
  // Two servers in the same state; one writes each period's message into one reused message
  // (left with more, and larger, entries by earlier periods), the other builds a fresh one.
  std::mt19937_64 rng(7);
  const std::vector<ServerId> ring{ServerId{0}, ServerId{1}, ServerId{2}, ServerId{3}};
  RingSync fresh(ServerId{0}, ring, 0, fast), reusing(ServerId{0}, ring, 0, fast);
  SyncMessage reused;
  Time now{};
  for (int period = 0; period < 200; ++period) {
    const auto digest = [&](std::uint32_t server, std::uint64_t version) {
      ServerDigest d;
      d.server = ServerId{server};
      d.version = version;
      d.instances.resize(rng() % 4, {ServiceId{static_cast<std::uint32_t>(rng() % 3)}, 1ms, 2ms,
                                     1ms, static_cast<float>(rng() % 100)});
      return d;
    };
    const ServerDigest own = digest(0, 0);
    fresh.refresh(own, now);
    reusing.refresh(own, now);
    // Peers' entries come and go: at times none is new, and the TTL drops silent ones.
    SyncMessage in{ServerId{3}, static_cast<std::uint64_t>(period), {}};
    for (std::uint32_t peer = 1; peer < 4; ++peer)
      if (rng() % 3 == 0)
        in.entries.push_back({std::make_shared<const ServerDigest>(
                                  digest(peer, static_cast<std::uint64_t>(period) + 1)),
                              0ms});
    fresh.receive(in, now);
    reusing.receive(in, now);
    const auto out = fresh.tick(now);
    const auto to = reusing.tick(now, reused);
    REQUIRE(out.has_value() == to.has_value());
    if (out) {
      CHECK(*to == out->to);
      CHECK(encode(reused) == encode(out->message));
      fresh.acknowledge({out->to, out->message.sequence}, now);
      reusing.acknowledge({*to, reused.sequence}, now);
    }
    now += std::chrono::milliseconds(rng() % 3000);
  }
}
