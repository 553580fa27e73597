#include <random>

#include <catch2/catch.hpp>

#include "epara/categorize.hpp"

using namespace epara;
using namespace epara::literals;

namespace {

constexpr DeviceClassId big{0}, small{1}, cpu{2};

// Two GPU classes (big: 40 GiB, speed 1; small: 16 GiB, speed 0.25) and a CPU class; one server
// per class listed in `installed`.
Cluster cluster_with(const std::vector<DeviceClassId>& installed) {
  Cluster c;
  c.device_classes = {{"big", DeviceKind::Gpu, 40_GiB, 1.0},
                      {"small", DeviceKind::Gpu, 16_GiB, 0.25},
                      {"pi", DeviceKind::Cpu, 8_GiB, 1.0}};
  for (DeviceClassId id : installed) {
    if (c.device_class(id).kind == DeviceKind::Cpu) {
      c.servers.push_back({"m", ServerKind::Microcomputer, {}, id});
    } else {
      c.servers.push_back({"s", ServerKind::EdgeServer, {id}, {}});
    }
  }
  return c;
}

Profile profile_on(DeviceClassId cls, std::vector<ProfilePoint> points, int max_batch = 0,
                   int gpus = 1) {
  return Profile{"p", "test", {{cls, gpus, LatencyCurve(std::move(points), max_batch)}}};
}

ServiceSpec service(Slo slo, Bytes memory = 10_GiB) {
  return ServiceSpec{"svc", slo, memory, ProfileId{0}, 1_KiB, {}};
}

}  // namespace

TEST_CASE("LS-1: memory fits and batch-1 latency meets the deadline") {
  const auto c =
      categorize(service(Slo::latency(100ms)), profile_on(big, {{1, 50ms}}), cluster_with({big}));
  CHECK(c.category == Category::LatencyOneGpu);
  CHECK(c.rule == CategoryRule::FitsOneGpu);
  CHECK(c.device_class == big);
  CHECK(c.reason ==
        "10 GiB fits one big GPU (40 GiB); batch-1 latency 50 ms on big <= deadline "
        "100 ms");
}

TEST_CASE("rule 1: memory above the largest GPU, at its boundary") {
  const auto profile = profile_on(big, {{1, 50ms}});
  const auto clusters = cluster_with({big, small});
  CHECK(categorize(service(Slo::latency(1s), 40_GiB), profile, clusters).category ==
        Category::LatencyOneGpu);  // exactly the GPU's memory fits
  const auto c = categorize(service(Slo::latency(1s), 40_GiB + 1_B), profile, clusters);
  CHECK(c.category == Category::LatencySeveralGpus);
  CHECK(c.rule == CategoryRule::MemoryExceedsGpu);
  CHECK(c.device_class == big);  // judged on the largest GPU
  CHECK_THAT(c.reason, Catch::Contains("more than one big GPU holds (40 GiB)"));
  // 20 GiB overflows the small GPU but fits the big one: one GPU is enough.
  CHECK(categorize(service(Slo::latency(1s), 20_GiB), profile, clusters).device_class == big);
}

TEST_CASE("rule 3: batch-1 latency above the deadline, at its boundary") {
  const auto profile = profile_on(big, {{1, 50ms}});
  CHECK(categorize(service(Slo::latency(50ms)), profile, cluster_with({big})).category ==
        Category::LatencyOneGpu);
  const auto c = categorize(service(Slo::latency(50ms - 1ns)), profile, cluster_with({big}));
  CHECK(c.category == Category::LatencySeveralGpus);
  CHECK(c.rule == CategoryRule::LatencyAboveDeadline);
  CHECK_THAT(c.reason, Catch::Contains("batch-1 latency 50 ms on big exceeds the deadline"));
}

TEST_CASE("a class without measurements is judged on a scaled profile") {
  // Only the small GPU is installed; measured on big at 50 ms, small is 4x slower: 200 ms.
  const auto profile = profile_on(big, {{1, 50ms}});
  const auto ok = categorize(service(Slo::latency(200ms)), profile, cluster_with({small}));
  CHECK(ok.category == Category::LatencyOneGpu);
  CHECK(ok.device_class == small);
  const auto late = categorize(service(Slo::latency(150ms)), profile, cluster_with({small}));
  CHECK(late.rule == CategoryRule::LatencyAboveDeadline);
  CHECK_THAT(late.reason, Catch::Contains("200 ms on small (scaled from big)"));
}

TEST_CASE("rule 2: no one-GPU profile") {
  const auto c = categorize(service(Slo::latency(1s)), profile_on(big, {{1, 50ms}}, 0, 2),
                            cluster_with({big}));
  CHECK(c.category == Category::LatencySeveralGpus);
  CHECK(c.rule == CategoryRule::NoOneGpuProfile);
  // A CPU-only profile says nothing about GPUs either.
  CHECK(categorize(service(Slo::latency(1s)), profile_on(cpu, {{1, 5ms}}), cluster_with({big, cpu}))
            .rule == CategoryRule::NoOneGpuProfile);
}

TEST_CASE("rule 4: peak one-GPU rate against the required rate") {
  // 1 item in 50 ms, 4 items in 80 ms: the peak is batch 4 when the item deadline allows it.
  const auto profile = profile_on(big, {{1, 50ms}, {4, 80ms}});
  const auto cluster = cluster_with({big});
  SECTION("the peak uses the largest batch that fits the item deadline") {
    const auto c = categorize(service(Slo::frequency(50_per_s, 80ms)), profile, cluster);
    CHECK(c.category == Category::FrequencyOneGpu);  // exactly 4 / 80 ms = 50/s
    CHECK_THAT(c.reason, Catch::Contains("peak one-GPU rate 50/s on big (batch 4 per 80 ms)"));
  }
  SECTION("just above the peak needs several GPUs") {
    const auto c = categorize(service(Slo::frequency(Rate{50.001}, 80ms)), profile, cluster);
    CHECK(c.category == Category::FrequencySeveralGpus);
    CHECK(c.rule == CategoryRule::RateBelowRequired);
  }
  SECTION("a tighter item deadline caps the batch") {
    // Deadline 79 ms: batch 3 (interpolated 70 ms) is the largest pass that fits: 42.9/s.
    const auto c = categorize(service(Slo::frequency(45_per_s, 79ms)), profile, cluster);
    CHECK(c.rule == CategoryRule::RateBelowRequired);
    CHECK_THAT(c.reason, Catch::Contains("42.9/s on big (batch 3 per 70 ms)"));
  }
  SECTION("batch-1 latency above the item deadline fires rule 3 first") {
    const auto c = categorize(service(Slo::frequency(1_per_s, 40ms)), profile, cluster);
    CHECK(c.category == Category::FrequencySeveralGpus);
    CHECK(c.rule == CategoryRule::LatencyAboveDeadline);
  }
}

TEST_CASE("the reported class is the best one that fits, or the closest to fitting") {
  Profile profile = profile_on(big, {{1, 50ms}});
  profile.curves.push_back({small, 1, LatencyCurve({{1, 30ms}})});  // measured faster on small
  const auto c = categorize(service(Slo::latency(1s)), profile, cluster_with({big, small}));
  CHECK(c.device_class == small);
  // small overflows (20 GiB > 16 GiB); big is reported with its latency verdict.
  const auto n =
      categorize(service(Slo::latency(10ms), 20_GiB), profile, cluster_with({big, small}));
  CHECK(n.device_class == big);
  CHECK(n.rule == CategoryRule::LatencyAboveDeadline);
}

TEST_CASE("a cluster without GPUs categorizes on its CPUs, one without devices cannot") {
  const Profile on_cpu = profile_on(cpu, {{1, 5ms}, {4, 10ms}});
  const auto fits = categorize(service(Slo::latency(1s), 4_GiB), on_cpu, cluster_with({cpu}));
  CHECK(fits.category == Category::LatencyOneGpu);
  CHECK(fits.device_class == cpu);
  CHECK(fits.reason == "4 GiB fits one pi CPU (8 GiB); batch-1 latency 5 ms on pi <= deadline 1 s");
  // The rules hold on the CPU as on a GPU: memory, then the stream's rate (at most 4 / 10 ms).
  const auto big_model = categorize(service(Slo::latency(1s), 9_GiB), on_cpu, cluster_with({cpu}));
  CHECK(big_model.rule == CategoryRule::MemoryExceedsGpu);
  CHECK(big_model.reason == "model needs 9 GiB, more than one pi CPU holds (8 GiB)");
  const auto fast_stream =
      categorize(service(Slo::frequency(Rate{500}, 20ms), 4_GiB), on_cpu, cluster_with({cpu}));
  CHECK(fast_stream.category == Category::FrequencySeveralGpus);
  CHECK(fast_stream.rule == CategoryRule::RateBelowRequired);
  // With a GPU installed, a CPU is not judged: the profile has no GPU curve.
  CHECK(categorize(service(Slo::latency(1s), 4_GiB), on_cpu, cluster_with({cpu, big})).rule ==
        CategoryRule::NoOneGpuProfile);
  CHECK_THROWS_WITH(categorize(service(Slo::latency(1s)), on_cpu, cluster_with({})),
                    Catch::Contains("the cluster has no GPU and no CPU"));
}

TEST_CASE("the category agrees with an independent check of the rules on random services") {
  // Property (fixed seed): One GPU <=> some installed GPU class passes every rule, recomputed
  // here by brute force; and loosening the SLO never moves a service from One to Several.
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> ms(1.0, 200.0), gib(1.0, 50.0), rate(1.0, 400.0);
  const Cluster cluster = cluster_with({big, small});
  const auto passes = [&](const ServiceSpec& s, const Profile& p, DeviceClassId id) {
    if (s.model_memory > cluster.device_class(id).memory) return false;
    for (int b = 1;; ++b) {
      const auto e = estimate_latency(p, cluster.device_classes, id, 1, b);
      if (!e || e->latency > s.slo.deadline) return false;
      if (s.slo.is_latency()) return true;
      if (detail::reaches_rate(b, e->latency, s.slo.rate)) return true;
    }
  };
  for (int trial = 0; trial < 500; ++trial) {
    const Duration l1 = from_ms(ms(rng));
    Profile p = profile_on(big, {{1, l1}, {8, l1 + from_ms(ms(rng))}}, 32);
    if (trial % 3 == 0) p.curves.push_back({small, 1, LatencyCurve({{1, from_ms(ms(rng))}})});
    const bool latency = trial % 2 == 0;
    const Slo slo = latency ? Slo::latency(from_ms(ms(rng)))
                            : Slo::frequency(Rate{rate(rng)}, from_ms(ms(rng)));
    const ServiceSpec s = service(slo, Bytes::gib(gib(rng)));
    const auto c = categorize(s, p, cluster);
    const bool expect_one = passes(s, p, big) || passes(s, p, small);
    REQUIRE(needs_several_gpus(c.category) == !expect_one);
    REQUIRE(sensitivity_of(c.category) == slo.sensitivity);
    ServiceSpec looser = s;
    looser.slo.deadline = s.slo.deadline * 2;
    looser.slo.rate = s.slo.rate * 0.5;
    if (!needs_several_gpus(c.category))
      REQUIRE_FALSE(needs_several_gpus(categorize(looser, p, cluster).category));
  }
}

TEST_CASE("categories print as their codes") {
  CHECK(fmt::format("{}", Category::LatencyOneGpu) == "LS-1");
  CHECK(fmt::format("{}", Category::LatencySeveralGpus) == "LS-N");
  CHECK(fmt::format("{}", Category::FrequencyOneGpu) == "FS-1");
  CHECK(fmt::format("{}", Category::FrequencySeveralGpus) == "FS-N");
  const auto c = categorize(service(Slo::latency(1s), 41_GiB), profile_on(big, {{1, 50ms}}),
                            cluster_with({big}));
  CHECK(fmt::format("{}", c) ==
        "LS-N (memory-exceeds-gpu): model needs 41 GiB, more than one big GPU holds (40 GiB)");
}
