// The placement scale curve: 10 to 2,000 servers (4 GPUs each), 100 services; plain, lazy and
// stochastic greedy; flow and surrogate objectives. Local search is off (it is a small-instance
// refinement), so these are the greedy variants alone.
#include <map>

#include <benchmark/benchmark.h>

#include "common/large_cluster.hpp"
#include "epara/placement/scheduler.hpp"

namespace {

using namespace epara;

const Scenario& cluster_of(int servers) {
  static std::map<int, Scenario> cache;
  auto it = cache.find(servers);
  if (it == cache.end()) it = cache.emplace(servers, bench::large_cluster(servers, 100)).first;
  return it->second;
}

void BM_Place(benchmark::State& state) {
  const Scenario& s = cluster_of(static_cast<int>(state.range(0)));
  SchedulerOptions options;
  options.variant = static_cast<GreedyVariant>(state.range(1));
  options.objective = static_cast<ObjectiveKind>(state.range(2));
  options.local_search_moves = 0;
  Placement p;
  for (auto _ : state) p = schedule(s, s.demand, {}, options);
  state.counters["evaluations"] = static_cast<double>(p.evaluations);
  state.counters["candidates"] = static_cast<double>(p.candidates);
  state.counters["instances"] = static_cast<double>(p.instances.size());
  state.counters["served_pct"] = 100.0 * p.served / p.demand;
  state.SetLabel(fmt::format("{} {}", to_string(options.variant), to_string(options.objective)));
}

constexpr int plain = static_cast<int>(GreedyVariant::Plain);
constexpr int lazy = static_cast<int>(GreedyVariant::Lazy);
constexpr int stochastic = static_cast<int>(GreedyVariant::Stochastic);
constexpr int flow = static_cast<int>(ObjectiveKind::Flow);
constexpr int surrogate = static_cast<int>(ObjectiveKind::Surrogate);

void scale_curve(benchmark::internal::Benchmark* b) {
  b->ArgNames({"servers", "variant", "objective"});
  for (int servers : {10, 100, 1000, 2000}) {
    for (int objective : {flow, surrogate}) {
      // Plain greedy evaluates every candidate at every step: beyond 100 servers that is
      // hundreds of millions of evaluations, so the curve stops there.
      if (servers <= 100) b->Args({servers, plain, objective});
      b->Args({servers, lazy, objective});
      b->Args({servers, stochastic, objective});
    }
  }
}
BENCHMARK(BM_Place)->Apply(scale_curve)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
