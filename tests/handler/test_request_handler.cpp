#include <random>

#include <catch2/catch.hpp>

#include "epara/handler/request_handler.hpp"
#include "handler/toy_views.hpp"

using namespace epara;
using namespace epara::testing;
using namespace std::chrono_literals;

namespace {

Request request(Duration deadline, Time now = Time{}) {
  Request r;
  r.service = svc;
  r.origin = s0;
  r.arrival = now;
  r.deadline = now + deadline;
  r.payload = Bytes{125'000};  // 0.1 ms at 10 Gbit/s
  return r;
}

}  // namespace

TEST_CASE("local first: a local instance that meets the deadline runs it") {
  const Network net = star();
  ToyLocal local{{{svc, {20ms, 10ms}}}};  // finishes at 30 ms
  // s1 would finish sooner (1.1 + 0 + 1 = 2.1 ms), but its report is 30 ms old: as old as the
  // 30 ms this request spends here, so it no longer says s1 is idle.
  ToyView view{&net, {{svc, {{s1, 0ms, 1ms, 1ms, 1, 30ms}}}}};
  Request r = request(50ms);
  const Decision d = RequestHandler(s0).decide(r, Time{}, local, view);
  CHECK(d == Decision{RunLocal{0, Time{} + 30ms, false}});
  CHECK(r.route.count == 1);
  CHECK(view.reservations == 0);
  // A peer no sooner than here, however fresh its report: here.
  ToyView later{&net, {{svc, {{s1, 28ms, 1ms, 1ms, 1, 0ms}}}}};  // 1.1 + 28 + 1 = 30.1 ms
  Request r2 = request(50ms);
  CHECK(RequestHandler(s0).decide(r2, Time{}, local, later) ==
        Decision{RunLocal{0, Time{} + 30ms, false}});
}

TEST_CASE("a request leaves a local instance in time for a peer sooner by a fresh report") {
  const Network net = star();
  ToyLocal local{{{svc, {20ms, 10ms}}}};                        // finishes at 30 ms
  ToyView view{&net, {{svc, {{s1, 0ms, 1ms, 1ms, 1, 29ms}}}}};  // 2.1 ms, reported 29 ms ago
  Request r = request(50ms);
  CHECK(RequestHandler(s0).decide(r, Time{}, local, view) ==
        Decision{Offload{s1, Time{} + 2100us}});
  CHECK(view.reservations == 1);
  // A stream's item stays where its stream was admitted, sooner peer or not.
  Request frame = request(50ms);
  frame.stream = StreamPosition{StreamId{1}, 7};
  CHECK(RequestHandler(s0).decide(frame, Time{}, local, view) ==
        Decision{RunLocal{0, Time{} + 30ms, false}});
  // At the hop limit nothing leaves.
  Request tired = request(50ms);
  CHECK(RequestHandler(s0, {.hop_limit = 0}).decide(tired, Time{}, local, view) ==
        Decision{RunLocal{0, Time{} + 30ms, false}});
}

TEST_CASE("offload to the peer with the earliest predicted finish, reserving its work") {
  // Local: 60 ms queue + 10 ms > 50 ms. Peers (1.1 ms away): s1 finishes at 1.1 + 30 + 5,
  // s2 at 1.1 + 10 + 5 = 16.1 ms, s3 at 1.1 + 40 + 5. An item joins a 5 ms pass but adds
  // 10 ms of queue (the peers' passes are long for their items), and that is what is reserved.
  const Network net = star();
  ToyLocal local{{{svc, {60ms, 10ms}}}};
  ToyView view{
      &net,
      {{svc, {{s1, 30ms, 5ms, 10ms, 1}, {s2, 10ms, 5ms, 10ms, 1}, {s3, 40ms, 5ms, 10ms, 1}}}}};
  const RequestHandler h(s0);
  Request first = request(50ms);
  CHECK(h.decide(first, Time{}, local, view) == Decision{Offload{s2, Time{} + 1100us + 15ms}});
  // So a burst spreads: s2's queue grows to 20, 30 ms; at 30 ms it ties s1 and the lower id,
  // s1, takes one (40 ms); s2 one more (40 ms); all three tie at 40: s1 (50 ms, now too late
  // for a 50 ms deadline), then s2, then s3. After that nobody finishes in time: the request
  // runs late here.
  std::vector<ServerId> targets;
  for (int i = 0; i < 6; ++i) {
    Request r = request(50ms);
    targets.push_back(std::get<Offload>(h.decide(r, Time{}, local, view)).server);
  }
  CHECK(targets == std::vector<ServerId>{s2, s1, s2, s1, s2, s3});
  Request last = request(50ms);
  CHECK(h.decide(last, Time{}, local, view) == Decision{RunLocal{0, Time{} + 70ms, true}});
}

TEST_CASE("ties go to the lower server id") {
  const Network net = star();
  ToyLocal local;
  ToyView view{&net, {{svc, {{s3, 10ms, 5ms, 5ms, 1}, {s1, 10ms, 5ms, 5ms, 1}}}}};
  Request r = request(50ms);
  CHECK(std::get<Offload>(RequestHandler(s0).decide(r, Time{}, local, view)).server == s1);
}

TEST_CASE("never back to a visited server, never past the hop limit") {
  const Network net = star();
  ToyLocal busy{{{svc, {100ms, 10ms}}}};
  ToyView view{&net, {{svc, {{s1, 0ms, 5ms, 5ms, 1}, {s2, 0ms, 5ms, 5ms, 1}}}}};
  SECTION("a visited peer is skipped even when it looks best") {
    Request r = request(50ms);
    r.route.enter(s1);  // came from s1
    CHECK(std::get<Offload>(RequestHandler(s0).decide(r, Time{}, busy, view)).server == s2);
  }
  SECTION("at the hop limit the request runs here, late") {
    Request r = request(50ms);
    r.route.enter(s1);
    r.route.enter(s2);
    r.route.enter(s3);  // 2 hops so far; arriving at s0 makes it 3
    const Decision d = RequestHandler(s0, {.hop_limit = 3}).decide(r, Time{}, busy, view);
    CHECK(std::get<RunLocal>(d).late);
  }
  SECTION("at the hop limit with nothing here: rejected, hop-limit") {
    Request r = request(50ms);
    r.route.enter(s1);
    const Decision d = RequestHandler(s0, {.hop_limit = 1}).decide(r, Time{}, ToyLocal{}, view);
    CHECK(d == Decision{Reject{RejectReason::HopLimit}});
  }
}

TEST_CASE("when nobody can finish in time: late here, or a reason") {
  const Network net = star();
  ToyView slow{&net, {{svc, {{s1, 90ms, 5ms, 5ms, 1}}}}};
  Request a = request(50ms);
  const ToyLocal busy{{{svc, {100ms, 10ms}}}};
  CHECK(RequestHandler(s0).decide(a, Time{}, busy, slow) ==
        Decision{RunLocal{0, Time{} + 110ms, true}});
  Request b = request(50ms);
  CHECK(RequestHandler(s0, {.run_late_locally = false}).decide(b, Time{}, busy, slow) ==
        Decision{Reject{RejectReason::Overloaded}});
  Request c = request(50ms);
  ToyView empty{&net, {}};
  CHECK(RequestHandler(s0).decide(c, Time{}, ToyLocal{}, empty) ==
        Decision{Reject{RejectReason::NoInstance}});
  Request d = request(50ms);
  CHECK(RequestHandler(s0).decide(d, Time{}, ToyLocal{}, slow) ==
        Decision{Reject{RejectReason::Overloaded}});
}

TEST_CASE("loop-free and bounded on random topologies with right and wrong views") {
  // Property (fixed seed): walk requests from server to server, each server deciding with its
  // own local state and its own view — exact, or random garbage. Every walk ends in RunLocal or
  // Reject, visits no server twice, and offloads at most hop_limit times. With exact views and
  // a server that can finish in time, nothing is rejected and nothing is late.
  std::mt19937_64 rng(31);
  auto ms = [&](double lo, double hi) {
    return from_ms(std::uniform_real_distribution<>(lo, hi)(rng));
  };
  int walks = 0, exact_walks = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const auto n = std::uniform_int_distribution<std::uint32_t>(2, 20)(rng);
    std::vector<Link> links;  // a random tree plus extra links
    for (std::uint32_t i = 1; i < n; ++i)
      links.push_back({ServerId{static_cast<std::uint32_t>(rng() % i)}, ServerId{i}, ms(0.1, 5),
                       Bandwidth::gbit_per_s(1)});
    for (std::uint32_t k = 0; k < n; ++k) {
      const auto a = static_cast<std::uint32_t>(rng() % n),
                 b = static_cast<std::uint32_t>(rng() % n);
      if (a != b) links.push_back({ServerId{a}, ServerId{b}, ms(0.1, 5), Bandwidth::gbit_per_s(1)});
    }
    const Network net(n, links);
    std::vector<ToyLocal> locals(n);
    std::vector<PeerEstimate> truth;
    for (std::uint32_t v = 0; v < n; ++v) {
      if (rng() % 3 == 0) continue;  // no instance here
      const ToyLocal::Instance inst{ms(0, 80), ms(1, 20)};
      locals[v].instances[svc] = inst;
      truth.push_back({ServerId{v}, inst.queue, inst.compute, inst.compute, 1e9});
    }
    const bool exact = trial % 2 == 0;
    std::vector<ToyView> garbage(n, ToyView{&net, {}});
    for (std::uint32_t v = 0; v < n; ++v)
      for (std::uint32_t p = 0; p < n; ++p)  // random servers, random numbers
        if (rng() % 2 == 0)
          garbage[v].peers[svc].push_back({ServerId{p}, ms(0, 50), ms(0, 10), ms(0, 10), 1e9});
    const HandlerOptions options{static_cast<int>(rng() % 4), trial % 3 != 0};
    for (int k = 0; k < 5; ++k) {
      // Exact views are fresh for each request (a reservation makes a view pessimistic until
      // the next sync); garbage views keep their reservations.
      std::vector<ToyView> views = garbage;
      if (exact)
        for (ToyView& v : views) v.peers[svc] = truth;
      const ServerId origin{static_cast<std::uint32_t>(rng() % n)};
      Request r = request(ms(5, 120));
      r.origin = origin;
      ServerId at = origin;
      Time now{};
      Decision d;
      for (int step = 0;; ++step) {
        REQUIRE(step <= options.hop_limit);
        REQUIRE_FALSE(r.route.visited(at));
        d = RequestHandler(at, options).decide(r, now, locals[index_of(at)], views[index_of(at)]);
        const auto* off = std::get_if<Offload>(&d);
        if (off == nullptr) break;
        REQUIRE(off->server != at);
        now += net.path(at, off->server)->transfer_time(r.payload);
        at = off->server;
      }
      REQUIRE(r.route.hops() <= options.hop_limit);
      ++walks;
      // Exact views: if some server could finish in time from the origin, it does.
      bool feasible = locals[index_of(origin)].best_local(svc, Time{}).has_value() &&
                      locals[index_of(origin)].best_local(svc, Time{})->finish <= r.deadline;
      for (const PeerEstimate& p : truth) {
        const auto path = net.path(origin, p.server);
        if (options.hop_limit > 0 && path &&
            Time{} + path->transfer_time(r.payload) + p.queue + p.compute <= r.deadline)
          feasible = true;
      }
      if (exact && feasible) {
        ++exact_walks;
        REQUIRE(std::holds_alternative<RunLocal>(d));
        REQUIRE_FALSE(std::get<RunLocal>(d).late);
      }
    }
  }
  CHECK(walks == 2000);
  CHECK(exact_walks > 300);
}
