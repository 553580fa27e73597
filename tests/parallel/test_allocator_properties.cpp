// Properties of the allocator over random profiles, SLOs, pools and loads (fixed seeds).
#include <map>
#include <random>

#include <catch2/catch.hpp>

#include "epara/parallel/explain.hpp"
#include "support/random_allocation.hpp"

using namespace epara;
using namespace epara::testing;

namespace {

// Recomputes a plan's worst latency and utilization from the cost model's formulas, with the
// replica timing rebuilt independently of the sizing code.
void check_meets_slo(const AllocationFixture& f, Category category, const Load& load,
                     const Plan& p) {
  const CostModel model;
  const bool shared = p.modes.contains(Mode::MultiTask);
  const auto t =
      replica_timing(f.problem(category, load), model, p.gpus_per_replica,
                     p.pipelined ? TimingSource::Pipeline : TimingSource::Profiled, shared);
  REQUIRE(t);
  const Duration reserve =
      shared ? from_seconds(model.co_location_reserve * to_seconds(f.service.slo.deadline))
             : Duration::zero();
  // The oldest item waits for its gather or the pass in progress, whichever ends later.
  const Duration worst =
      std::max(p.batch_timeout, t->interval_at(p.max_batch)) + t->pass_at(p.max_batch) + reserve;
  REQUIRE(worst == p.worst_latency);
  REQUIRE(worst <= f.service.slo.deadline);

  const Slo& slo = f.service.slo;
  double rate = 0;  // items per second at the busiest replica
  bool spread = false;
  if (slo.is_latency()) {
    rate = load.rate.per_second / p.replicas;
    spread = p.replicas > 1;
  } else {
    const int slices = (load.streams * p.split + p.replicas - 1) / p.replicas;
    rate = slices * slo.rate.per_second / p.split;
    spread = p.split > 1;
  }
  const double x = std::min<double>(p.max_batch, 1 + rate * to_seconds(p.batch_timeout));
  const double efficiency = spread ? model.data_parallel_efficiency : 1.0;
  const double u = rate * t->interval_ns(x) * 1e-9 / (x * efficiency);
  REQUIRE(u <= model.max_utilization + 1e-9);
  REQUIRE(p.capacity.per_second >= p.demand.per_second * (1 - 1e-9));
  REQUIRE(p.demand.per_second ==
          Approx(slo.is_latency() ? load.rate.per_second : load.streams * slo.rate.per_second));
  if (shared) {
    REQUIRE(p.replicas == 1);
    REQUIRE(p.gpus_per_replica == 1);
    REQUIRE(p.gpu_share <= model.max_share);
    REQUIRE(p.gpu_share == Approx(u / model.max_utilization));
  }
  // Data parallel: d replicas give d × efficiency × one replica's rate (at the same batch).
  if (p.modes.contains(Mode::DataParallel)) {
    const double one = model.max_utilization * x / (t->interval_ns(x) * 1e-9);
    REQUIRE(p.capacity.per_second >=
            p.replicas * model.data_parallel_efficiency * one * (1 - 1e-9));
  }
}

}  // namespace

TEST_CASE("random plans meet their SLO under their own cost model and fit their pool") {
  std::mt19937_64 rng(20261122);
  const Allocator<> allocator;
  int feasible = 0;
  std::map<Mode, int> modes_seen;
  std::map<Category, int> categories_seen;
  for (int trial = 0; trial < 3000; ++trial) {
    const RandomCase c = random_case(rng);
    const Allocation a = c.f.allocate(c.category, c.load, allocator);
    if (!a.feasible()) {
      REQUIRE_FALSE(a.reason.empty());
      continue;
    }
    ++feasible;
    const Plan& p = a.plan;
    INFO(explain(p, c.f.service.slo, c.f.classes));
    REQUIRE(p.gpus_per_replica <= c.f.pool.max_per_replica);
    REQUIRE(p.replicas * p.gpus_per_replica <= c.f.pool.total);
    REQUIRE(p.memory_per_gpu <= c.f.classes[0].memory);
    REQUIRE(p.max_batch >= 1);
    check_meets_slo(c.f, c.category, c.load, p);
    ++categories_seen[c.category];
    for (Mode m : {Mode::Batching, Mode::MultiTask, Mode::ModelParallel, Mode::MultiFrame,
                   Mode::DataParallel})
      if (p.modes.contains(m)) ++modes_seen[m];
  }
  // The generator must exercise every category and mode on the feasible path.
  CHECK(feasible > 1000);
  CHECK(categories_seen.size() == 4);
  CHECK(modes_seen.size() == 5);
  for (const auto& [mode, count] : modes_seen) {
    INFO(to_string(mode));
    CHECK(count >= 20);
  }
}

TEST_CASE("more demand never yields fewer devices") {
  std::mt19937_64 rng(7);
  const Allocator<> allocator;
  for (int trial = 0; trial < 3000; ++trial) {
    const RandomCase c = random_case(rng);
    Load more = c.load;
    if (c.f.service.slo.is_latency()) {
      more.rate = more.rate * std::uniform_real_distribution<>(1.0, 3.0)(rng);
    } else {
      more.streams += std::uniform_int_distribution<int>(1, 10)(rng);
    }
    const Allocation low = c.f.allocate(c.category, c.load, allocator);
    const Allocation high = c.f.allocate(c.category, more, allocator);
    if (!high.feasible()) continue;
    INFO(explain(high.plan, c.f.service.slo, c.f.classes));
    REQUIRE(low.feasible());
    REQUIRE(low.plan.devices() <= high.plan.devices() + 1e-12);
  }
}

TEST_CASE("a looser SLO never yields more devices (same category)") {
  std::mt19937_64 rng(11);
  const Allocator<> allocator;
  for (int trial = 0; trial < 3000; ++trial) {
    RandomCase c = random_case(rng);
    const Allocation tight = c.f.allocate(c.category, c.load, allocator);
    if (!tight.feasible()) continue;
    Slo& slo = c.f.service.slo;
    slo.deadline =
        from_seconds(to_seconds(slo.deadline) * std::uniform_real_distribution<>(1.0, 3.0)(rng));
    if (!slo.is_latency()) slo.rate = slo.rate * std::uniform_real_distribution<>(0.3, 1.0)(rng);
    const Allocation loose = c.f.allocate(c.category, c.load, allocator);
    REQUIRE(loose.feasible());
    REQUIRE(loose.plan.devices() <= tight.plan.devices() + 1e-12);
  }
}
