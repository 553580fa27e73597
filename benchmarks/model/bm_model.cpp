// Costs of the model layer: profile lookups, network paths, categorization, scenario parsing.
#include <random>

#include <benchmark/benchmark.h>

#include "common/testbed.hpp"
#include "epara/categorize.hpp"

namespace {

using namespace epara;

using bench::testbed;

// Latency of an unmeasured batch: binary search + interpolation.
void BM_LatencyCurve_Interpolated(benchmark::State& state) {
  const LatencyCurve curve(
      {{1, from_ms(3)}, {8, from_ms(10)}, {32, from_ms(35)}, {128, from_ms(130)}});
  int b = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(curve.latency(b));
    b = b % 128 + 1;
  }
}
BENCHMARK(BM_LatencyCurve_Interpolated);

// All-pairs paths of a random connected network with n servers and ~2n links.
void BM_Network_AllPairs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(1);
  std::vector<Link> links;
  for (std::size_t i = 1; i < n; ++i)
    links.push_back({id_at<ServerId>(rng() % i), id_at<ServerId>(i),
                     from_ms(0.1 + double(rng() % 50) / 10),
                     Bandwidth::gbit_per_s(1 + double(rng() % 10))});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = rng() % n, b = rng() % n;
    if (a != b)
      links.push_back(
          {id_at<ServerId>(a), id_at<ServerId>(b), from_ms(1), Bandwidth::gbit_per_s(1)});
  }
  for (auto _ : state) benchmark::DoNotOptimize(Network(n, links));
  state.counters["servers"] = static_cast<double>(n);
}
BENCHMARK(BM_Network_AllPairs)
    ->ArgName("servers")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

// Categorizing every service of the testbed (7 services, 4 GPU classes).
void BM_Categorize_Testbed(benchmark::State& state) {
  const Scenario& s = testbed();
  for (auto _ : state)
    for (std::size_t i = 0; i < s.services.size(); ++i)
      benchmark::DoNotOptimize(categorize(s, id_at<ServiceId>(i)));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.services.size()));
}
BENCHMARK(BM_Categorize_Testbed);

void BM_Scenario_ParseTestbed(benchmark::State& state) {
  const std::string text = io::read_text_file(EPARA_TESTBED_JSON);
  for (auto _ : state) benchmark::DoNotOptimize(io::parse_scenario(text, "testbed.json"));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Scenario_ParseTestbed);

}  // namespace
