#include <catch2/catch.hpp>

#include "epara/handler/request_handler.hpp"
#include "epara/handler/synced_view.hpp"
#include "handler/toy_views.hpp"

using namespace epara;
using namespace std::chrono_literals;

TEST_CASE("the synced view drains reported queues by their age and keeps reservations") {
  const std::vector<ServerId> ring{ServerId{0}, ServerId{1}, ServerId{2}};
  const Network net(3, {{ServerId{0}, ServerId{1}, 1ms, Bandwidth::gbit_per_s(8)},
                        {ServerId{1}, ServerId{2}, 1ms, Bandwidth::gbit_per_s(8)}});
  RingSync sync(ServerId{0}, ring);
  ServerDigest peer;
  peer.server = ServerId{2};
  peer.version = 1;
  peer.instances = {{ServiceId{1}, 40ms, 10ms, 2ms, 5.0f},
                    {ServiceId{4'000'000'000u}, 40ms, 10ms, 2ms, 5.0f}};  // a service nobody knows
  // Received at t = 0 with age 15 ms: at t = 10 ms it is 25 ms old, so 15 ms of queue remain.
  sync.receive({ServerId{1}, 1, {{std::make_shared<const ServerDigest>(peer), 15ms}}}, Time{});
  SyncedView view(net, 2);
  view.rebuild(sync, Time{} + 10ms);
  REQUIRE(view.peers_hosting(ServiceId{1}).size() == 1);
  const PeerEstimate p = view.peers_hosting(ServiceId{1})[0];
  CHECK(p.server == ServerId{2});
  CHECK(p.queue == 15ms);
  CHECK(p.compute == 10ms);
  CHECK(p.item_work == 2ms);
  CHECK(view.peers_hosting(ServiceId{0}).empty());
  CHECK(view.peers_hosting(ServiceId{9}).empty());               // unknown service: nobody
  CHECK(view.peers_hosting(ServiceId{4'000'000'000u}).empty());  // ignored, not stored
  // 1 MB over the 8 Gbit/s bottleneck = 1 ms, plus 2 ms of latency.
  CHECK(view.transfer_time(ServerId{0}, ServerId{2}, Bytes{1'000'000}) == 3ms);
  view.reserve(ServerId{2}, ServiceId{1}, 10ms, 2.0);
  CHECK(view.peers_hosting(ServiceId{1})[0].queue == 25ms);
  CHECK(view.peers_hosting(ServiceId{1})[0].spare_rate == 3.0);

  // The handler over it: no local instance, the peer finishes at 10 + 3 + 25 + 10 = 48 ms.
  Request r;
  r.service = ServiceId{1};
  r.deadline = Time{} + 60ms;
  r.payload = Bytes{1'000'000};
  const Decision d =
      RequestHandler(ServerId{0}).decide(r, Time{} + 10ms, testing::ToyLocal{}, view);
  CHECK(d == Decision{Offload{ServerId{2}, Time{} + 48ms}});
}
