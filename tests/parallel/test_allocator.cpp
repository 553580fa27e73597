// Hand-checked plans: one per mode and per category, with the numbers worked out here.
#include <catch2/catch.hpp>

#include "epara/parallel/explain.hpp"
#include "parallel/allocation_fixture.hpp"

using namespace epara;
using namespace epara::testing;
using namespace std::chrono_literals;

namespace {
// Default policies without multi-task, so the exclusive modes can be checked on their own.
const Allocator<> exclusive{
    OneGpuPolicy{.multi_task = false, .model_parallel = true}, SeveralGpusPolicy{},
    OneGpuPolicy{.multi_task = false, .model_parallel = true}, SeveralGpusPolicy{}};
constexpr double ms = 1e6;  // nanoseconds per millisecond
}  // namespace

TEST_CASE("LS-1 batching: the smallest batch that carries the load, the shortest timeout") {
  // latency(b) = 10 + 2b ms, deadline 100 ms, 180 requests/s, cap 90% utilization.
  // b = 3: 180/s × 16 ms / 3 = 96% > 90%. b = 4: 180/s × 18 ms / 4 = 81%: one replica.
  // Gathering 4 requests at 180/s takes 3/180 s = 16.7 ms: worst max(16.7, 18) + 18 = 36 ms
  // (the gather and the pass in progress overlap).
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  const Allocation a = f.allocate(Category::LatencyOneGpu, requests(180), exclusive);
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.modes == ModeSet{Mode::Batching});
  CHECK(p.replicas == 1);
  CHECK(p.max_batch == 4);
  CHECK(p.batch_timeout == from_seconds(3.0 / 180));
  CHECK(to_ms(p.worst_latency) == Approx(36).epsilon(1e-4));
  CHECK(p.utilization == Approx(0.81));
  CHECK(p.devices() == 1.0);
  CHECK(p.capacity.per_second == Approx(0.9 * 4 / 0.018));  // 200/s at the cap
}

TEST_CASE("a long pass: the gather overlaps the pass in progress, so one replica batches") {
  // latency(b) = 9 s + 0.2 s·b on 4 GPUs (a 140 GiB model), deadline 21 s, 0.4 requests/s.
  // b = 4: utilization 0.4 × 9.8 s / 4 = 98% > 90%. b = 5: gathering 4 more items takes 10 s,
  // 0.4 × 10 s / 5 = 80%; worst max(10 s gather, 10 s in progress) + 10 s = 20 s. b = 6 would
  // wait as long for 5 items and end at 20.4 s. Were the gather added to the pass in progress
  // (T + 9.2 s + 9.2 s at b = 1), only batch 1 would fit: 368% busy on the pool's one replica.
  AllocationFixture f;
  f.service.model_memory = 140_GiB;
  f.service.slo = Slo::latency(21s);
  f.pool = {gpu_class, 4, 4};
  f.linear_curve(9000, 200, 16, 4);
  const Allocation a = f.allocate(Category::LatencySeveralGpus, requests(0.4), exclusive);
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.replicas == 1);
  CHECK(p.gpus_per_replica == 4);
  CHECK(p.max_batch == 5);
  CHECK(p.batch_timeout == 10s);
  CHECK(p.worst_latency == 20s);
  CHECK(p.utilization == Approx(0.8));
}

TEST_CASE("LS-1 data parallel: more replicas when one cannot keep up") {
  // 600/s on the same curve: one replica at its largest batch is 600 × 42 ms / 16 = 158% busy.
  // Two replicas get 300/s each (95% efficiency): 300 × (10 + 2b) ms / b / 0.95 <= 90% from
  // b = 12 (80%), which gathers in 11/300 s = 36.7 ms: worst max(36.7, 34) + 34 = 70.7 ms.
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  const Allocation a = f.allocate(Category::LatencyOneGpu, requests(600), exclusive);
  REQUIRE(a.feasible());
  CHECK(a.plan.replicas == 2);
  CHECK(a.plan.max_batch == 12);
  CHECK(a.plan.modes.contains(Mode::DataParallel));
  CHECK(a.plan.capacity.per_second >= 600);
  CHECK(a.plan.worst_latency <= 100ms);
}

TEST_CASE("LS-1 multi-task: a light service takes a share of a GPU") {
  // 20/s: sharing multiplies latency by 1.2 and keeps 25 ms for co-located passes, so at b = 3
  // the timeout is 100 - 25 - 1.2 × 16 = 55.8 ms, the expected batch 1 + 20 × 0.0558 = 2.116,
  // the interval 1.2 × (10 + 2 × 2.116) = 17.08 ms, utilization 20 × 17.08 / 2.116 = 16.1% —
  // the least of any batch (b = 2 fills in 50 ms: 16.8%; b = 4: 16.4%) — and the share
  // 16.1% / 90% = 17.9%.
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  const Allocation a = f.allocate(Category::LatencyOneGpu, requests(20));
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.modes.contains(Mode::MultiTask));
  CHECK(p.max_batch == 3);
  CHECK(to_ms(p.batch_timeout) == Approx(55.8));
  CHECK(p.gpu_share == Approx(0.1794).epsilon(1e-3));
  CHECK(p.devices() == Approx(p.gpu_share));
  CHECK(p.worst_latency == 100ms);  // max(55.8, 19.2) + 19.2 + 25
}

TEST_CASE("LS-N model parallel: needed when the model does not fit one GPU") {
  // 60 GiB on 40 GiB GPUs: k >= 2. Measured k = 2 curve 26 + 4b ms; 50/s, deadline 200 ms.
  // b = 1: 50 × 30 ms = 150%; b = 2: 50 × 34 ms / 2 = 85%: one replica of 2 GPUs, timeout
  // 1/50 s = 20 ms, worst max(20, 34) + 34 = 68 ms.
  AllocationFixture f;
  f.service.model_memory = 60_GiB;
  f.service.slo = Slo::latency(200ms);
  f.pool = {gpu_class, 4, 8};
  f.linear_curve(26, 4, 8, 2);
  const Allocation a = f.allocate(Category::LatencySeveralGpus, requests(50));
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.gpus_per_replica == 2);
  CHECK(p.replicas == 1);
  CHECK(p.modes == ModeSet{Mode::ModelParallel, Mode::Batching});
  CHECK(p.max_batch == 2);
  CHECK(p.batch_timeout == 20ms);
  CHECK(p.worst_latency == 68ms);
  CHECK(p.memory_per_gpu == 30_GiB);
  CHECK(p.devices() == 2.0);
}

TEST_CASE("model parallel pipeline stages derived from the one-GPU curve") {
  // L1(b) = 40 + 10b ms, 1 MiB of activations per item over 25 GB/s plus 20 µs per hop:
  // transfer(1) = 20 µs + 1048576 / 25e9 s = 61.94 µs. With 2 stages at 90% balance:
  // pass(1) = 50 ms + 61.94 µs, interval(1) = 50 / (2 × 0.9) ms + 61.94 µs = 27.84 ms.
  AllocationFixture f;
  f.service.model_memory = 60_GiB;
  f.service.activation_size = 1_MiB;
  f.pool = {gpu_class, 2, 8};
  f.linear_curve(40, 10, 8);
  const auto t = replica_timing(f.problem(Category::LatencySeveralGpus, requests(1)), CostModel{},
                                2, TimingSource::Pipeline, false);
  REQUIRE(t);
  CHECK(t->stage_transfer(1).count() == Approx(61'943).margin(1));
  CHECK(t->pass_at(1).count() == Approx(50 * ms + 61'943).margin(1));
  CHECK(t->interval_at(1).count() == Approx(50 * ms / 1.8 + 61'943).margin(1));
  CHECK(t->max_batch() == 8);

  f.service.slo = Slo::latency(500ms);
  const Allocation a = f.allocate(Category::LatencySeveralGpus, requests(20));
  REQUIRE(a.feasible());
  CHECK(a.plan.pipelined);
  CHECK(a.plan.gpus_per_replica == 2);
  CHECK(a.plan.stage_transfer == t->stage_transfer(a.plan.max_batch));
}

TEST_CASE("LS-1 model parallel when it is the cheapest way to meet the deadline") {
  // k = 1: 100 + 10b ms; a measured k = 2 curve: 30 + 3b ms. Deadline 300 ms, 100/s.
  // One GPU per replica needs 8 replicas (8 GPUs); one 2-GPU replica carries it (2 GPUs).
  AllocationFixture f;
  f.service.slo = Slo::latency(300ms);
  f.pool = {gpu_class, 2, 16};
  f.linear_curve(100, 10, 16);
  f.linear_curve(30, 3, 16, 2);
  const Allocation a = f.allocate(Category::LatencyOneGpu, requests(100), exclusive);
  REQUIRE(a.feasible());
  CHECK(a.plan.gpus_per_replica == 2);
  CHECK(a.plan.replicas == 1);
  CHECK(a.plan.devices() == 2.0);
}

TEST_CASE("FS-1 multi-frame: consecutive frames of one stream in one pass") {
  // One stream at 30 fps, item deadline 200 ms, latency 40 + 2b ms. One frame per pass keeps
  // the GPU 30 × 42 ms = 126% busy; two frames per pass: 30 × 44 ms / 2 = 66%. Gathering the
  // second frame takes 1/30 s: worst max(33.3, 44) + 44 = 88 ms.
  AllocationFixture f;
  f.service.slo = Slo::frequency(30_per_s, 200ms);
  f.linear_curve(40, 2, 8);
  const Allocation a = f.allocate(Category::FrequencyOneGpu, streams(1), exclusive);
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.modes == ModeSet{Mode::MultiFrame});
  CHECK(p.frames_per_pass == 2);
  CHECK(p.max_batch == 2);
  CHECK(p.replicas == 1);
  CHECK(to_ms(p.worst_latency) == Approx(88).epsilon(1e-4));
  CHECK(p.utilization == Approx(0.66).epsilon(1e-3));
}

TEST_CASE("FS-1 streams spread over replicas, batched across streams") {
  // 10 streams at 30 fps (300 items/s), latency 4 + 1b ms, deadline 100 ms: one replica at
  // b = 8 is 300 × 12 ms / 8 = 45% busy.
  AllocationFixture f;
  f.service.slo = Slo::frequency(30_per_s, 100ms);
  f.linear_curve(4, 1, 32);
  const Allocation a = f.allocate(Category::FrequencyOneGpu, streams(10), exclusive);
  REQUIRE(a.feasible());
  CHECK(a.plan.replicas == 1);
  CHECK(a.plan.streams_per_replica == 10);
  CHECK(a.plan.modes.contains(Mode::Batching));
  CHECK(a.plan.utilization <= 0.9);
}

TEST_CASE("FS-N data parallel: two GPUs give close to twice one GPU's frame rate") {
  // latency 50 + 45(b-1) ms: at most 21.6 fps on one GPU, below 30 fps. Splitting the stream
  // over 2 replicas gives each 15 fps: 15 × 50 ms / 0.95 = 79% busy.
  AllocationFixture f;
  f.service.slo = Slo::frequency(30_per_s, 300ms);
  f.profile.curves.push_back({gpu_class, 1, LatencyCurve({{1, 50ms}, {4, 185ms}})});
  const Allocator<> no_pipeline{OneGpuPolicy{}, SeveralGpusPolicy{}, OneGpuPolicy{},
                                SeveralGpusPolicy{.derive_pipeline = false}};
  const Allocation a = f.allocate(Category::FrequencySeveralGpus, streams(1), no_pipeline);
  REQUIRE(a.feasible());
  const Plan& p = a.plan;
  CHECK(p.modes == ModeSet{Mode::DataParallel});
  CHECK(p.split == 2);
  CHECK(p.replicas == 2);
  CHECK(p.worst_latency == 100ms);
  const double one_gpu = 0.9 / 0.050;  // items/s of one replica at the utilization cap
  CHECK(p.capacity.per_second == Approx(2 * 0.95 * one_gpu));
  CHECK(p.capacity.per_second / one_gpu == Approx(1.9));
}

TEST_CASE("infeasible problems say why, with the closest plan") {
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  SECTION("the model fits no replica the pool allows") {
    f.service.model_memory = 100_GiB;
    f.pool = {gpu_class, 2, 8};
    const Allocation a = f.allocate(Category::LatencySeveralGpus, requests(1));
    CHECK(a.status == AllocationStatus::MemoryExceeded);
    CHECK_THAT(a.reason, Catch::Contains("model needs 100 GiB") && Catch::Contains("50 GiB"));
  }
  SECTION("the deadline is below any achievable latency") {
    f.service.slo = Slo::latency(20ms);  // batch 1 alone: 12 ms pass + 12 ms in progress
    const Allocation a = f.allocate(Category::LatencyOneGpu, requests(1));
    CHECK(a.status == AllocationStatus::DeadlineTooTight);
    CHECK(a.plan.worst_latency == 24ms);
    CHECK_THAT(a.reason, Catch::Contains("24 ms") && Catch::Contains("deadline 20 ms"));
  }
  SECTION("the load needs more devices than the pool has") {
    f.pool = {gpu_class, 1, 2};
    const Allocation a = f.allocate(Category::LatencyOneGpu, requests(10'000));
    CHECK(a.status == AllocationStatus::NotEnoughDevices);
    CHECK(a.plan.replicas == 2);
    CHECK(a.plan.capacity.per_second < 10'000);
    CHECK_THAT(a.reason, Catch::Contains("pool's 2 gpu devices"));
  }
  SECTION("an empty profile") {
    f.profile.curves.clear();
    const Allocation a = f.allocate(Category::LatencyOneGpu, requests(1));
    CHECK(a.status == AllocationStatus::NoProfile);
    CHECK_THAT(a.reason, Catch::Contains("profile 'p' gives no latency on gpu"));
  }
}

TEST_CASE("malformed problems are rejected with a clear error") {
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  CHECK_THROWS_WITH(f.allocate(Category::LatencyOneGpu, requests(0)),
                    Catch::Contains("request rate must be finite and > 0 (got 0)"));
  CHECK_THROWS_WITH(f.allocate(Category::LatencyOneGpu, requests(-3)), Catch::Contains("(got -3)"));
  CHECK_THROWS_AS(f.allocate(Category::LatencyOneGpu, requests(std::nan(""))), InvalidArgument);
  CHECK_THROWS_WITH(f.allocate(Category::FrequencyOneGpu, streams(1)),
                    Catch::Contains("category FS-1 contradicts a latency SLO"));
  f.service.slo = Slo::frequency(30_per_s, 100ms);
  CHECK_THROWS_WITH(f.allocate(Category::FrequencyOneGpu, streams(0)),
                    Catch::Contains("needs >= 1 stream (got 0)"));
  f.pool = {gpu_class, 3, 2};
  CHECK_THROWS_WITH(f.allocate(Category::FrequencyOneGpu, streams(1)),
                    Catch::Contains("max_per_replica <= total"));
}

TEST_CASE("a plan explains its derivation") {
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  const Allocation a = f.allocate(Category::LatencyOneGpu, requests(180), exclusive);
  const std::string text = explain(a.plan, f.service.slo, f.classes);
  CHECK_THAT(text, Catch::StartsWith("batching on gpu: 1 replica, up to 4 items per pass"));
  CHECK_THAT(text, Catch::Contains("worst max(16.7 ms gather, 18 ms in progress) + 18 ms own "
                                   "pass = 36 ms <= deadline 100 ms"));
  CHECK_THAT(text, Catch::Contains("81% busy"));
}

TEST_CASE("a user policy replaces a default one") {
  // A policy that allows only one device per replica with no batching gains: counts its calls.
  struct SingleOnly {
    int* calls;
    void propose(const AllocationProblem&, PlanSearch& search) const {
      ++*calls;
      search.consider({1, TimingSource::Profiled, false, 1});
    }
  };
  STATIC_REQUIRE(AllocationPolicy<SingleOnly>);
  int calls = 0;
  const Allocator<SingleOnly> a{SingleOnly{&calls}, SeveralGpusPolicy{}, OneGpuPolicy{},
                                SeveralGpusPolicy{}};
  AllocationFixture f;
  f.linear_curve(10, 2, 16);
  const Allocation result = f.allocate(Category::LatencyOneGpu, requests(20), a);
  CHECK(calls == 1);
  REQUIRE(result.feasible());
  CHECK_FALSE(result.plan.modes.contains(Mode::MultiTask));  // the default would share
}

TEST_CASE("allocate_service picks the pool of least GPU-equivalent cost") {
  // Big GPUs (speed 1) on an edge server, a small GPU (speed 0.2) on a board, a CPU on a pi.
  Scenario s;
  s.cluster.device_classes = {{"big", DeviceKind::Gpu, 40_GiB, 1.0},
                              {"small", DeviceKind::Gpu, 8_GiB, 0.2},
                              {"pi", DeviceKind::Cpu, 4_GiB, 1.0}};
  const DeviceClassId big{0}, small{1}, pi{2};
  s.cluster.servers = {{"edge", ServerKind::EdgeServer, {big, big}, {}},
                       {"board", ServerKind::EmbeddedBoard, {small}, {}},
                       {"m", ServerKind::Microcomputer, {}, pi}};
  s.cluster.network = Network(3, {{ServerId{0}, ServerId{1}, 1ms, Bandwidth::gbit_per_s(1)},
                                  {ServerId{1}, ServerId{2}, 1ms, Bandwidth::gbit_per_s(1)}});
  Profile p{"p", "test", {{big, 1, LatencyCurve({{1, 10ms}, {8, 24ms}})}}};
  s.profiles = {p};
  s.services = {{"svc", Slo::latency(400ms), 1_GiB, ProfileId{0}, 1_KiB, {}}};
  const Allocator<> allocator;

  SECTION("the chosen plan costs no more than any pool's own plan") {
    const auto r = allocate_service(allocator, s, ServiceId{0}, testing::requests(1));
    REQUIRE(r.allocation.feasible());
    const double cost = gpu_equivalents(r.allocation.plan, s.cluster);
    for (const GpuPool& pool : device_pools(s.cluster)) {
      const Allocation other =
          allocator.allocate({s.services[0], s.profiles[0], r.categorization.category,
                              s.cluster.device_classes, pool, testing::requests(1)});
      if (other.feasible()) CHECK(cost <= gpu_equivalents(other.plan, s.cluster));
    }
  }
  SECTION("a CPU-capable service runs on the microcomputer: zero GPUs") {
    s.profiles[0].curves.push_back({pi, 1, LatencyCurve({{1, 50ms}})});
    const auto r = allocate_service(allocator, s, ServiceId{0}, testing::requests(5));
    REQUIRE(r.allocation.feasible());
    CHECK(r.allocation.plan.device_class == pi);
    CHECK(gpu_equivalents(r.allocation.plan, s.cluster) == 0.0);
  }
  SECTION("when no pool is feasible, the closest answer") {
    const auto r = allocate_service(allocator, s, ServiceId{0}, testing::requests(1e6));
    CHECK(r.allocation.status == AllocationStatus::NotEnoughDevices);
  }
  CHECK(device_pools(s.cluster) == std::vector<GpuPool>{{big, 2, 2}, {small, 1, 1}, {pi, 1, 1}});
}
