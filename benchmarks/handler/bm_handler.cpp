// Request handling and ring synchronization costs: one decision with N peers hosting the
// service, and a ring message of N servers' entries (merge, build, encode, decode, view).
#include <benchmark/benchmark.h>

#include "epara/handler/request_handler.hpp"
#include "epara/handler/synced_view.hpp"

namespace {

using namespace epara;
using namespace std::chrono_literals;

// N + 1 servers in a star around server 0, every peer hosting service 0 with a short queue;
// server 0's own instance is too busy, so every decision scans all peers and offloads.
struct World {
  explicit World(int peers) {
    std::vector<Link> links;
    for (int i = 1; i <= peers; ++i)
      links.push_back({ServerId{0}, id_at<ServerId>(static_cast<std::size_t>(i)),
                       from_ms(0.1 + i % 7 * 0.3), Bandwidth::gbit_per_s(10)});
    network = Network(static_cast<std::size_t>(peers) + 1, links);
    for (int i = 0; i <= peers; ++i) ring.push_back(id_at<ServerId>(static_cast<std::size_t>(i)));
    for (int i = 1; i <= peers; ++i) {
      ServerDigest d;
      d.server = ring[static_cast<std::size_t>(i)];
      d.version = 1;
      d.free_memory = Bytes::gib(10);
      d.instances = {{ServiceId{0}, from_ms(i % 13), 8ms, 1ms, 50.0f}};
      d.demand = {{ServiceId{0}, 20.0f}};
      message.entries.push_back({std::make_shared<const ServerDigest>(std::move(d)), 20ms});
    }
    message.from = ring.back();
  }
  Network network;
  std::vector<ServerId> ring;
  SyncMessage message;
};

struct BusyHere {
  std::optional<LocalOption> best_local(ServiceId, Time) const {
    return LocalOption{0, Time::max(), 0.0};
  }
};

void BM_Handler_Decide(benchmark::State& state) {
  const World w(static_cast<int>(state.range(0)));
  RingSync sync(ServerId{0}, w.ring);
  sync.receive(w.message, Time{});
  SyncedView view(w.network, 1);
  view.rebuild(sync, Time{});
  const RequestHandler handler(ServerId{0});
  // A deadline far enough that the reservations of millions of decisions never exhaust it.
  Request r{
      RequestId{1},   ServiceId{0}, ServerId{0}, Time{}, Time{} + std::chrono::hours(1'000'000),
      Bytes{100'000}, {},           {}};
  for (auto _ : state) {
    r.route = Route{};
    benchmark::DoNotOptimize(handler.decide(r, Time{}, BusyHere{}, view));
  }
}
BENCHMARK(BM_Handler_Decide)->ArgName("peers")->Arg(10)->Arg(100)->Arg(1000);

void BM_Sync_Merge(benchmark::State& state) {
  const World w(static_cast<int>(state.range(0)));
  RingSync sync(ServerId{0}, w.ring);
  Time now{};
  for (auto _ : state) {
    // The same versions, each copy younger than the one held (it aged 1 µs): a full merge.
    now += 1us;
    benchmark::DoNotOptimize(sync.receive(w.message, now));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sync_Merge)->ArgName("servers")->Arg(10)->Arg(100)->Arg(1000);

void BM_Sync_TickAndEncode(benchmark::State& state) {
  const World w(static_cast<int>(state.range(0)));
  RingSync sync(ServerId{0}, w.ring);
  sync.receive(w.message, Time{});
  Time now{};
  std::size_t bytes = 0;
  for (auto _ : state) {
    sync.refresh({}, now);
    const auto out = sync.tick(now);
    const auto encoded = encode(out->message);
    bytes = encoded.size();
    benchmark::DoNotOptimize(encoded.data());
    sync.acknowledge({out->to, out->message.sequence}, now);
  }
  state.counters["message_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Sync_TickAndEncode)->ArgName("servers")->Arg(10)->Arg(100)->Arg(1000);

void BM_Sync_Decode(benchmark::State& state) {
  const World w(static_cast<int>(state.range(0)));
  const auto bytes = encode(w.message);
  for (auto _ : state) benchmark::DoNotOptimize(decode(bytes));
}
BENCHMARK(BM_Sync_Decode)->ArgName("servers")->Arg(10)->Arg(100)->Arg(1000);

void BM_View_Rebuild(benchmark::State& state) {
  const World w(static_cast<int>(state.range(0)));
  RingSync sync(ServerId{0}, w.ring);
  sync.receive(w.message, Time{});
  SyncedView view(w.network, 1);
  for (auto _ : state) view.rebuild(sync, Time{});
}
BENCHMARK(BM_View_Rebuild)->ArgName("servers")->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
