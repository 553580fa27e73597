// Fuzzes the scenario loader with its round trip, the simulation section and the deployment
// section. Every input must end in a scenario or an epara::Error (InvalidArgument naming the
// field); a scenario must survive scenario_to_json → parse_scenario unchanged.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/sim/simulation_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  epara::Scenario scenario;
  try {
    scenario = epara::io::parse_scenario(text, "fuzz.json");
  } catch (const epara::Error&) {
    return 0;  // a bad file, reported
  }
  const std::string written = epara::io::scenario_to_json(scenario);
  if (!(epara::io::parse_scenario(written, "written.json") == scenario)) {
    fmt::print(stderr, "round trip changed the scenario:\n{}\n", written);
    std::abort();
  }
  try {
    (void)epara::sim::parse_simulation_config(text, "fuzz.json", scenario, ".");
  } catch (const epara::Error&) {
  }
  try {
    (void)epara::io::parse_deployment(text, "fuzz.json", scenario);
  } catch (const epara::Error&) {
  }
  return 0;
}
