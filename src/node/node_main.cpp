// epara-node: runs one server of a scenario's deployment (docs/deployment.md).
//   epara-node cloud.json --server edge-0 [--port 50051] [--peer-port 50061] [--metrics-port 9090]
//              [--log-level info]
// SIGINT or SIGTERM drains in-flight requests (up to the deployment's drain timeout) and exits.

#include <signal.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <thread>

#include "cli_common.hpp"
#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"
#include "node.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Runs one server of an EPARA edge cloud: the Open Inference Protocol over gRPC, "
      "offloading, ring synchronization and placement (docs/deployment.md)."};
  epara::cli::add_standard_options(app);
  std::string path, server, level_name = "info";
  int port = 0, peer_port = 0, metrics_port = -1;
  app.add_option("scenario", path, "Scenario JSON with a deployment section")->required();
  app.add_option("--server", server, "The server this node is")->required();
  app.add_option("--port", port,
                 "Listen on this port on every interface instead of the deployment's address "
                 "(peers still use that address: in a container, the pod's port)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--peer-port", peer_port,
                 "Listen for peer RPCs on this port on every interface instead of the "
                 "deployment's peer_address (which must be given)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--metrics-port", metrics_port,
                 "Serve Prometheus metrics at http://0.0.0.0:PORT/metrics (0: any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--log-level", level_name, "Least severe log lines written")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  const epara::node::LogLevel level = level_name == "debug"  ? epara::node::LogLevel::Debug
                                      : level_name == "info" ? epara::node::LogLevel::Info
                                      : level_name == "warn" ? epara::node::LogLevel::Warn
                                                             : epara::node::LogLevel::Error;

  // Signals are taken by one thread (sigwait), so they never interrupt gRPC's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    using namespace epara;
    const std::string text = io::read_text_file(path);
    Scenario scenario = io::parse_scenario(text, path);
    Deployment deployment = io::parse_deployment(text, path, scenario);
    const auto self = scenario.cluster.find_server(server);
    if (!self)
      throw InvalidArgument(fmt::format("--server: unknown server '{}' in {}", server, path));
    const NodeAddress* me = deployment.node(*self);
    if (peer_port > 0 && me && me->peer_address.empty())
      throw InvalidArgument(fmt::format(
          "--peer-port: server '{}' has no peer_address in {}: its peers would not find the port",
          server, path));
    node::Node node(std::move(scenario), std::move(deployment), *self, std::cerr, level);
    const auto any_interface = [](int p) {
      return p > 0 ? fmt::format("0.0.0.0:{}", p) : std::string();
    };
    node.start(any_interface(port), any_interface(peer_port));
    if (metrics_port >= 0) node.serve_metrics("0.0.0.0", metrics_port);
    std::thread stopper([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      node.shutdown();
    });
    node.wait();
    // The stopper waits in sigwait() with SIGTERM blocked everywhere: the signal wakes it (it
    // does not kill the thread) when shutdown came another way.
    pthread_kill(stopper.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    stopper.join();
    return 0;
  } catch (const epara::Error& e) {
    fmt::print(stderr, "epara-node: error: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "epara-node: internal error: {}\n", e.what());
  }
  return 1;
}
