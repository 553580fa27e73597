#include <catch2/catch.hpp>

#include "epara/handler/stream_assignment.hpp"
#include "handler/toy_views.hpp"

using namespace epara;
using namespace epara::testing;
using namespace std::chrono_literals;

namespace {
const Slo video = Slo::frequency(Rate{30}, 100ms);
}  // namespace

TEST_CASE("a stream split over two replicas: local first, then the earliest peer") {
  const Network net = star();
  ToyLocal local{{{svc, {5ms, 20ms, 20}}}};  // 20/s spare: takes a 15/s share
  ToyView view{
      &net,
      {{svc,
        {{s1, 40ms, 20ms, 20ms, 100}, {s2, 10ms, 20ms, 20ms, 100}, {s3, 0ms, 20ms, 20ms, 10}}}}};
  const auto a = assign_stream(s0, svc, video, 2, Bytes{1000}, Time{}, local, view);
  REQUIRE(a);
  CHECK(a->targets == std::vector<ServerId>{s0, s2});  // s3 is fastest but has 10/s spare < 15/s
  CHECK(a->complete());
  CHECK(a->target_for(0) == s0);
  CHECK(a->target_for(1) == s2);
  CHECK(a->target_for(7) == s2);
  CHECK(view.peers[svc][1].spare_rate == 85);  // s2's share reserved
}

TEST_CASE("a failed target is replaced, the others keep their items") {
  const Network net = star();
  ToyLocal local;
  ToyView view{
      &net,
      {{svc,
        {{s1, 0ms, 20ms, 20ms, 100}, {s2, 10ms, 20ms, 20ms, 100}, {s3, 20ms, 20ms, 20ms, 100}}}}};
  auto a = assign_stream(s0, svc, video, 2, Bytes{1000}, Time{}, local, view);
  REQUIRE(a);
  CHECK(a->targets == std::vector<ServerId>{s1, s2});
  CHECK(reassign_stream(*a, s1, s0, video, Bytes{1000}, Time{}, local, view));
  CHECK(a->targets == std::vector<ServerId>{s3, s2});
  // With nowhere left to go, the failed target is dropped and the rest take its items.
  CHECK_FALSE(reassign_stream(*a, s3, s0, video, Bytes{1000}, Time{}, local, view));
  CHECK(a->targets == std::vector<ServerId>{s2});
  CHECK_FALSE(a->complete());
}

TEST_CASE("no server that can keep the rate and the deadline: no assignment") {
  const Network net = star();
  ToyLocal local{{{svc, {200ms, 20ms, 100}}}};              // too late
  ToyView view{&net, {{svc, {{s1, 0ms, 20ms, 20ms, 5}}}}};  // too little spare
  CHECK_FALSE(assign_stream(s0, svc, video, 1, Bytes{1000}, Time{}, local, view));
}
