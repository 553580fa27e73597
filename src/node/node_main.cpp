// epara-node: runs one server of a scenario's deployment (docs/deployment.md).
//   epara-node cloud.json --server edge-0
// SIGINT or SIGTERM drains in-flight requests (up to the deployment's drain timeout) and exits.

#include <signal.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <thread>

#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"
#include "node.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Runs one server of an EPARA edge cloud: the Open Inference Protocol over gRPC, "
      "offloading, ring synchronization and placement (docs/deployment.md)."};
  std::string path, server;
  app.add_option("scenario", path, "Scenario JSON with a deployment section")->required();
  app.add_option("--server", server, "The server this node is")->required();
  CLI11_PARSE(app, argc, argv);

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
    node::Deployment deployment = io::parse_deployment(text, path, scenario);
    const auto self = scenario.cluster.find_server(server);
    if (!self)
      throw InvalidArgument(fmt::format("--server: unknown server '{}' in {}", server, path));
    node::Node node(std::move(scenario), std::move(deployment), *self, std::cerr);
    node.start();
    std::thread stopper([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      node.shutdown();
    });
    node.wait();
    pthread_kill(stopper.native_handle(), SIGTERM);  // wakes it if shutdown came another way
    stopper.join();
    return 0;
  } catch (const epara::Error& e) {
    fmt::print(stderr, "epara-node: error: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "epara-node: internal error: {}\n", e.what());
  }
  return 1;
}
