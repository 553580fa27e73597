// Categorizes one service with the installed headers: proves the include paths and the
// transitive fmt and Eigen dependencies of epara::core resolve from an install tree; links the
// simulator, and the TorchScript backend where it was installed.
#include <fmt/format.h>
#include <epara/epara.hpp>
#include <epara/sim/simulator.hpp>
#ifdef CONSUMER_WITH_TORCHSCRIPT
#include <epara/torchscript/script_model.hpp>
#endif

int main() {
  using namespace epara::literals;
  epara::Cluster cluster;
  cluster.device_classes = {{"a100-40g", epara::DeviceKind::Gpu, 40_GiB, 1.0}};
  cluster.servers = {{"edge", epara::ServerKind::EdgeServer, {epara::DeviceClassId{0}}, {}}};
  const epara::Profile profile{
      "big-llm", "example", {{epara::DeviceClassId{0}, 2, epara::LatencyCurve({{1, 900ms}})}}};
  const epara::ServiceSpec llm{"llm", epara::Slo::latency(2s), 64_GiB, epara::ProfileId{0}, 4_KiB,
                               {}};
  const auto c = epara::categorize(llm, profile, cluster);
  fmt::print("{}: {}\n", c.category, c.reason);
  [[maybe_unused]] auto* simulate = &epara::sim::simulate;  // linked from the installed epara::sim
#ifdef CONSUMER_WITH_TORCHSCRIPT
  fmt::print("TorchScript on {}\n", epara::torchscript::library_version());
#endif
  return epara::needs_several_gpus(c.category) ? 0 : 1;
}
