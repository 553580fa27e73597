// Categorizes one service with the installed headers: proves the include paths and the
// transitive fmt and Eigen dependencies of epara::core resolve from an install tree; links the
// simulator, and the TorchScript backend and the networked node where they were installed (the
// node serves one reference model on a free loopback port, then stops).
#include <fmt/format.h>
#include <epara/epara.hpp>
#include <epara/sim/simulator.hpp>
#ifdef CONSUMER_WITH_TORCHSCRIPT
#include <epara/torchscript/script_model.hpp>
#endif
#ifdef CONSUMER_WITH_NODE
#include <epara/io/deployment_json.hpp>
#include <epara/io/scenario_json.hpp>
#include <epara/node/node.hpp>
#include <iostream>

const char* cloud = R"({
  "device_classes": [{"name": "host", "kind": "gpu", "memory_gib": 8, "relative_speed": 1}],
  "servers": [{"name": "solo", "kind": "edge_server", "gpus": [{"device_class": "host", "count": 1}]}],
  "network": {"links": []},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "host", "gpus": 1,
    "max_batch": 8, "points": [{"batch": 1, "latency_ms": 1}, {"batch": 8, "latency_ms": 4}]}]}],
  "services": [{"name": "m", "profile": "p", "model_memory_gib": 0.1, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 2000}}],
  "deployment": {"nodes": [{"server": "solo", "address": "127.0.0.1:0"}],
                 "models": [{"service": "m", "model": "dense", "widths": [4, 8, 3]}]}
})";
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
#ifdef CONSUMER_WITH_NODE
  const epara::Scenario scenario = epara::io::parse_scenario(cloud, "cloud.json");
  epara::node::Node node(scenario, epara::io::parse_deployment(cloud, "cloud.json", scenario),
                         epara::ServerId{0}, std::cerr, epara::node::LogLevel::Warn);
  node.start();
  fmt::print("epara-node serving on port {}\n", node.port());
  node.shutdown();
#endif
  return epara::needs_several_gpus(c.category) ? 0 : 1;
}
