// Replace one category's policy with your own: here, latency-sensitive services that fit one
// GPU may never share it (no multi-task), e.g. because your GPUs run without MPS.
//
//   Allocator<NoSharing, SeveralGpusPolicy, OneGpuPolicy, SeveralGpusPolicy>
//             ^ LS-1      ^ LS-N             ^ FS-1        ^ FS-N
#include <fmt/format.h>
#include <epara/epara.hpp>

// Any type with `void propose(const AllocationProblem&, PlanSearch&) const` is a policy.
struct NoSharing {
  void propose(const epara::AllocationProblem& problem, epara::PlanSearch& search) const {
    // Whole GPUs only: one GPU per replica, and multi-GPU replicas where the profile has them.
    for (int k = 1; k <= problem.pool.max_per_replica; ++k)
      search.consider({.gpus = k, .source = epara::TimingSource::Profiled});
  }
};
static_assert(epara::AllocationPolicy<NoSharing>);

int main() {
  using namespace epara;
  using namespace epara::literals;

  const std::vector<DeviceClass> classes{{"a100-40g", DeviceKind::Gpu, 40_GiB, 1.0}};
  const Profile profile{
      "segmenter", "example", {{DeviceClassId{0}, 1, LatencyCurve({{1, 9ms}, {8, 40ms}})}}};
  const ServiceSpec service{"image-seg", Slo::latency(300ms), 1.5_GiB, ProfileId{0}, 200_KiB, {}};
  const AllocationProblem problem{
      service,          profile, Category::LatencyOneGpu, classes, GpuPool{DeviceClassId{0}, 1, 4},
      Load{Rate{25}, 0}};

  const Allocator<> shared_ok;
  const Allocator<NoSharing> whole_gpus{NoSharing{}, SeveralGpusPolicy{}, OneGpuPolicy{},
                                        SeveralGpusPolicy{}};
  for (const auto& [name, allocation] : {std::pair{"default", shared_ok.allocate(problem)},
                                         std::pair{"no sharing", whole_gpus.allocate(problem)}}) {
    fmt::print("{}: {:.2f} GPUs\n  {}\n", name, allocation.plan.devices(),
               explain(allocation.plan, service.slo, classes));
  }
}
