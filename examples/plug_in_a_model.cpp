// Plug your own model into libepara's executors: any type with inputs(), outputs() (named,
// typed tensors), max_batch(), memory() and forward(batch) is an exec::Model. Here a hand-
// written "embedding normalizer" stands in for a TensorRT engine or a libtorch module; the
// allocator plans the service, and the plan configures a batching executor directly.
#include <cmath>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <epara/epara.hpp>

class Normalizer {  // your model: bound to its device when made; forward blocks until done
 public:
  // One FP32 vector of 64 in; the unit vector and its former length out.
  std::span<const epara::exec::TensorSpec> inputs() const { return inputs_; }
  std::span<const epara::exec::TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const { return 32; }
  epara::Bytes memory() const { return epara::Bytes::mib(1); }
  void forward(epara::exec::Batch& batch) {  // reads each item where it lies: no packing copy
    using epara::exec::Tensor;
    for (std::size_t item = 0; item < batch.size(); ++item) {
      const std::span<const float> x = batch.input(item).values<float>();
      double norm = 0;
      for (float v : x) norm += double{v} * v;
      norm = std::sqrt(norm);
      std::vector<float> unit(x.begin(), x.end());
      for (float& v : unit) v = static_cast<float>(v / norm);
      batch.output(item, 0) = Tensor::of(unit);
      batch.output(item, 1) = Tensor::of(std::vector<float>{static_cast<float>(norm)});
    }
  }

 private:
  std::vector<epara::exec::TensorSpec> inputs_{{"embedding", epara::exec::DType::FP32, {64}}};
  std::vector<epara::exec::TensorSpec> outputs_{{"unit", epara::exec::DType::FP32, {64}},
                                                {"norm", epara::exec::DType::FP32, {1}}};
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
    results.push_back(
        executor.submit({{exec::Tensor::of(std::vector<float>(64, 1.0f + static_cast<float>(i)))},
                         exec::now() + 50ms,
                         0}));
  int in_slo = 0;
  for (auto& r : results) {
    const exec::Result result = r.get();
    if (result.outcome == exec::Outcome::Rejected) throw std::runtime_error(result.detail);
    in_slo += result.outcome == exec::Outcome::InSlo;
    if (std::abs(result.outputs[0].values<float>()[0] - 0.125f) > 1e-6f)
      throw std::runtime_error("wrong output");
  }
  executor.shutdown();
  const exec::Counts counts = executor.counts();
  fmt::print("{} submitted, {} in SLO, {} late, {} rejected, in {} passes (batch <= {})\n",
             counts.submitted, counts.in_slo, counts.late, counts.rejected, counts.passes,
             executor.policy().max_batch);
  return counts.finished() == counts.submitted && in_slo > 0 ? 0 : 1;
}
