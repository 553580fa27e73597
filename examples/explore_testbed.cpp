// Load a scenario file and look around it: servers, GPUs, network delays, categories.
#include <fmt/format.h>
#include <epara/epara.hpp>
#include <epara/io/scenario_json.hpp>

int main(int argc, char** argv) {
  using namespace epara;
  const Scenario s = io::load_scenario(argc > 1 ? argv[1] : EPARA_TESTBED_JSON);

  for (const ServerSpec& server : s.cluster.servers) {
    fmt::print("{:<8} {:<15} {} GPU(s)", server.name, to_string(server.kind), server.gpus.size());
    if (!server.gpus.empty())
      fmt::print(" of {}", s.cluster.device_class(server.gpus.front()).name);
    fmt::print("\n");
  }

  // What moving one 300 KiB video frame from the first to every other server costs.
  const ServerId from{0};
  for (std::size_t i = 1; i < s.cluster.servers.size(); ++i) {
    const auto path = s.cluster.network.path(from, id_at<ServerId>(i));
    fmt::print("{} -> {}: {} latency, {} bottleneck, 300 KiB frame in {}\n",
               s.cluster.servers[0].name, s.cluster.servers[i].name, format_duration(path->latency),
               path->bottleneck, format_duration(path->transfer_time(Bytes::kib(300))));
  }

  for (std::size_t i = 0; i < s.services.size(); ++i)
    fmt::print("{:<16} {}\n", s.services[i].name, categorize(s, id_at<ServiceId>(i)).category);
}
