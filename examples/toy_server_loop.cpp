// Wire the request handler into a (toy) serving loop: three servers sync their state around a
// ring, then a burst of 8 requests reaches server 0, whose own queue is long. The handler runs
// what it can locally and spreads the rest over the peers its synced view shows.
//
//     [0] --1 ms-- [1] --1 ms-- [2]      ring: 0 -> 1 -> 2 -> 0
#include <fmt/format.h>
#include <epara/epara.hpp>
#include <epara/handler/request_handler.hpp>
#include <epara/handler/synced_view.hpp>

using namespace epara;
using namespace std::chrono_literals;

// A server's own state: one instance of service 0 with a queue that grows with each item.
struct ToyServer {
  Duration queue{};
  Duration per_item = 8ms;
  std::optional<LocalOption> best_local(ServiceId, Time now) const {
    return LocalOption{0, now + queue + per_item, 100.0};
  }
};

int main() {
  const std::vector<ServerId> ring{ServerId{0}, ServerId{1}, ServerId{2}};
  const Network net(3, {{ServerId{0}, ServerId{1}, 1ms, Bandwidth::gbit_per_s(10)},
                        {ServerId{1}, ServerId{2}, 1ms, Bandwidth::gbit_per_s(10)}});
  std::vector<ToyServer> servers{{30ms}, {0ms}, {10ms}};
  std::vector<RingSync> sync;
  for (ServerId s : ring) sync.emplace_back(s, ring);

  // Three sync periods: each server refreshes its entry and passes its view on.
  Time now{};
  for (int period = 0; period < 3; ++period, now += 100ms)
    for (std::size_t i = 0; i < sync.size(); ++i) {
      sync[i].refresh(
          {ServerId{},
           0,
           Bytes{},
           {{ServiceId{0}, servers[i].queue, servers[i].per_item, servers[i].per_item, 100.0f}},
           {}},
          now);
      if (const auto out = sync[i].tick(now))
        sync[i].acknowledge(sync[index_of(out->to)].receive(out->message, now), now);
    }

  SyncedView view(net, 1);  // one service
  view.rebuild(sync[0], now);
  const RequestHandler handler(ServerId{0});
  for (int k = 0; k < 8; ++k) {
    Request r{RequestId{static_cast<std::uint64_t>(k)},
              ServiceId{0},
              ServerId{0},
              now,
              now + 50ms,
              Bytes{50'000},
              {},
              {}};
    const Decision d = handler.decide(r, now, servers[0], view);
    if (const auto* local = std::get_if<RunLocal>(&d)) {
      servers[0].queue += servers[0].per_item;  // the toy loop enqueues it
      fmt::print("request {}: run here, done at +{}{}\n", k,
                 format_duration(local->predicted_finish - now), local->late ? " (late)" : "");
    } else if (const auto* off = std::get_if<Offload>(&d)) {
      fmt::print("request {}: offload to server {}, done at +{}\n", k, index_of(off->server),
                 format_duration(off->predicted_finish - now));
    } else {
      fmt::print("request {}: rejected ({})\n", k, to_string(std::get<Reject>(d).reason));
    }
  }
}
