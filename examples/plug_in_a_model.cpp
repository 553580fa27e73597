// Plug your own model into libepara's executors: any type with input_size(), output_size(),
// max_batch(), memory() and forward(in, out, n) is an exec::Model. Here a hand-written
// "embedding normalizer" stands in for a TensorRT engine or a libtorch module; the allocator
// plans the service, and the plan configures a batching executor directly.
#include <cmath>
#include <span>

#include <fmt/format.h>
#include <epara/epara.hpp>

class Normalizer {  // your model: bound to its device when made; forward blocks until done
 public:
  std::size_t input_size() const { return 64; }
  std::size_t output_size() const { return 64; }
  std::size_t max_batch() const { return 32; }
  epara::Bytes memory() const { return epara::Bytes::mib(1); }
  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    for (std::size_t item = 0; item < n; ++item) {
      const auto x = in.subspan(item * 64, 64);
      double norm = 0;
      for (float v : x) norm += double{v} * v;
      const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
      for (std::size_t i = 0; i < 64; ++i) out[item * 64 + i] = x[i] * scale;
    }
  }
};
static_assert(epara::exec::Model<Normalizer>);

int main() {
  using namespace epara;
  using namespace epara::literals;

  // 1. Plan: 400 requests/s with a 50 ms deadline on a CPU class, from a measured profile
  //    (epara-profile writes such curves for the reference models).
  const std::vector<DeviceClass> classes{{"host-cpu", DeviceKind::Cpu, 8_GiB, 1.0}};
  const Profile profile{
      "normalizer", "example", {{DeviceClassId{0}, 1, LatencyCurve({{1, 1ms}, {32, 4ms}})}}};
  const ServiceSpec service{"normalize", Slo::latency(50ms), 1_GiB, ProfileId{0}, 1_KiB, {}};
  const AllocationProblem problem{
      service,           profile, Category::LatencyOneGpu, classes, GpuPool{DeviceClassId{0}, 1, 1},
      Load{Rate{400}, 0}};
  const Allocation allocation = Allocator<>{}.allocate(problem);
  fmt::print("plan: {}\n", explain(allocation.plan, service.slo, classes));

  // 2. Run: the plan's batch size and timeout configure the executor.
  exec::BatchingExecutor executor(Normalizer{}, allocation.plan);
  std::vector<std::future<exec::Result>> results;
  for (int i = 0; i < 100; ++i)
    results.push_back(executor.submit(
        {std::vector<float>(64, 1.0f + static_cast<float>(i)), exec::now() + 50ms, 0}));
  int in_slo = 0;
  for (auto& r : results) {
    const exec::Result result = r.get();
    if (result.outcome == exec::Outcome::Rejected) throw std::runtime_error(result.detail);
    in_slo += result.outcome == exec::Outcome::InSlo;
    if (std::abs(result.output[0] - 0.125f) > 1e-6f) throw std::runtime_error("wrong output");
  }
  executor.shutdown();
  const exec::Counts counts = executor.counts();
  fmt::print("{} submitted, {} in SLO, {} late, {} rejected, in {} passes (batch <= {})\n",
             counts.submitted, counts.in_slo, counts.late, counts.rejected, counts.passes,
             executor.policy().max_batch);
  return counts.finished() == counts.submitted && in_slo > 0 ? 0 : 1;
}
