#pragma once
// Placements as JSON: the loaded instances a state-aware placement starts from, separate demand
// files, and the scheduler's result. Part of epara::io.

#include <string>
#include <string_view>
#include <vector>

#include "epara/placement/scheduler.hpp"

namespace epara::io {

/// Reads {"instances": [{"service": name, "server": name, "devices": [0, 1] | "cpu"}, ...]}.
/// The output of placement_to_json is accepted as it is (its other fields are ignored), so one
/// period's result is the next period's input. Throws InvalidArgument naming source and path.
std::vector<LoadedInstance> parse_loaded_instances(std::string_view json_text,
                                                   std::string_view source,
                                                   const Scenario& scenario);

/// Writes {"instances": [{"service", "server", "devices"}, ...]}: what parse_loaded_instances
/// reads back.
std::string loaded_instances_to_json(const std::vector<LoadedInstance>& instances,
                                     const Scenario& scenario);

/// Reads {"demand": [...]} in the scenario file's demand format, against `scenario`'s names.
std::vector<Demand> parse_demand(std::string_view json_text, std::string_view source,
                                 const Scenario& scenario);

/// The placement: summary figures, every instance (loads marked), unloads, per-service
/// outcomes and per-device usage.
std::string placement_to_json(const Placement& placement, const Scenario& scenario);

}  // namespace epara::io
