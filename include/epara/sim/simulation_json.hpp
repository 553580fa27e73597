#pragma once
// The "simulation" section of a scenario file: how epara-sim runs it (docs/simulator.md).
// Part of epara::sim: the simulator's own settings, read with epara::io's JSON reader.

#include <filesystem>
#include <string_view>

#include "epara/model/scenario.hpp"
#include "epara/sim/config.hpp"

namespace epara::sim {

/// The section's settings over the defaults; the defaults when the file has no such section.
/// A trace file path is resolved against `base_dir` (the scenario file's folder). Throws
/// InvalidArgument naming the source and JSON path of a bad field.
SimulationConfig parse_simulation_config(std::string_view json_text, std::string_view source,
                                         const Scenario& scenario,
                                         const std::filesystem::path& base_dir);

}  // namespace epara::sim
