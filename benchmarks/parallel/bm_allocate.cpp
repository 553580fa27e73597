// Allocation time: one service of each testbed category, the whole testbed across its device
// pools, and 1,000 random services on one pool.
#include <random>

#include <benchmark/benchmark.h>

#include "common/testbed.hpp"
#include "epara/parallel/allocator.hpp"
#include "support/random_allocation.hpp"

namespace {

using namespace epara;

using bench::testbed;

// One allocate() call on the A100 pool for one testbed service (by index), as categorized.
void BM_Allocate_OneService(benchmark::State& state) {
  const Scenario& s = testbed();
  const auto id = id_at<ServiceId>(static_cast<std::size_t>(state.range(0)));
  const ServiceSpec& service = s.service(id);
  const auto loads = total_load(s.demand, s.services.size());
  const Categorization c = categorize(s, id);
  const GpuPool pool = device_pools(s.cluster).front();  // a100-40g: 4 per server, 8 in all
  const Allocator<> allocator;
  const AllocationProblem problem{service,    s.profile_of(service),
                                  c.category, s.cluster.device_classes,
                                  pool,       loads[index_of(id)]};
  for (auto _ : state) benchmark::DoNotOptimize(allocator.allocate(problem));
  state.SetLabel(fmt::format("{} {}", service.name, code(c.category)));
}
// chat-llm (LS-1), llm-70b (LS-N), video-detect (FS-1), video-seg-heavy (FS-N)
BENCHMARK(BM_Allocate_OneService)->ArgName("service")->Arg(0)->Arg(2)->Arg(4)->Arg(5);

// Categorize + allocate every testbed service on every device pool (what epara-allocate does).
void BM_Allocate_TestbedAllPools(benchmark::State& state) {
  const Scenario& s = testbed();
  const auto loads = total_load(s.demand, s.services.size());
  const Allocator<> allocator;
  for (auto _ : state)
    for (std::size_t i = 0; i < s.services.size(); ++i)
      benchmark::DoNotOptimize(allocate_service(allocator, s, id_at<ServiceId>(i), loads[i]));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.services.size()));
}
BENCHMARK(BM_Allocate_TestbedAllPools);

// 1,000 random services (random curves, SLOs, memory, pools, loads; every category).
void BM_Allocate_RandomServices(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<testing::RandomCase> cases;
  for (int i = 0; i < state.range(0); ++i) cases.push_back(testing::random_case(rng));
  const Allocator<> allocator;
  for (auto _ : state)
    for (const auto& c : cases)
      benchmark::DoNotOptimize(c.f.allocate(c.category, c.load, allocator));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Allocate_RandomServices)
    ->ArgName("services")
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
