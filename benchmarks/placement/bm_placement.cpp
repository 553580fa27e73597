// The placement scale curve: 10 to 2,000 servers (4 GPUs each), 100 services; plain, lazy and
// stochastic greedy; flow and surrogate objectives. Local search is off (it is a small-instance
// refinement), so these are the greedy variants alone.
#include <limits>
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

// What local search costs as its work grows, to set SchedulerOptions::local_search_limit by:
// small clusters under 4x the demand that fills them (so that placement must choose), local
// search with single removals alone and with pairs, the limit lifted so that both always run.
// `work` is what the limit bounds: candidates x instances for single removals, x instances
// again for pairs; `gain_pct` is what local search added to greedy's served items.
Scenario overloaded_cluster(int servers) {
  Scenario s = bench::large_cluster(servers, 20);
  for (Demand& d : s.demand) {
    d.rate = Rate{d.rate.per_second * 4};
    d.streams *= 4;
  }
  return s;
}

void BM_LocalSearch(benchmark::State& state) {
  static std::map<int, Scenario> cache;
  const int servers = static_cast<int>(state.range(0));
  auto it = cache.find(servers);
  if (it == cache.end()) it = cache.emplace(servers, overloaded_cluster(servers)).first;
  const Scenario& s = it->second;
  SchedulerOptions options;
  options.local_search_pairs = state.range(1) != 0;
  options.local_search_limit = std::numeric_limits<double>::infinity();
  SchedulerOptions greedy_only = options;
  greedy_only.local_search_moves = 0;
  const Placement greedy = schedule(s, s.demand, {}, greedy_only);
  Placement p;
  for (auto _ : state) p = schedule(s, s.demand, {}, options);
  const double candidates = static_cast<double>(p.candidates);
  const double instances = static_cast<double>(greedy.instances.size());
  state.counters["work"] = candidates * instances * (options.local_search_pairs ? instances : 1);
  state.counters["moves"] = p.local_search_moves;
  // Evaluations count the refills' work without the machine's noise.
  state.counters["evaluations"] = static_cast<double>(p.evaluations - greedy.evaluations);
  state.counters["gain_pct"] = 100.0 * (p.served - greedy.served) / greedy.served;
  state.SetLabel(options.local_search_pairs ? "pairs" : "single removals");
}
BENCHMARK(BM_LocalSearch)
    ->ArgNames({"cluster", "pairs"})
    ->ArgsProduct({{2, 4, 8, 12, 16, 20}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
