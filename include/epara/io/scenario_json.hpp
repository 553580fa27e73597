#pragma once
// Reading and writing scenarios as JSON (the format is in docs/scenario-format.md).
// Part of epara::io (compiled); the header itself needs nothing beyond the standard library.

#include <filesystem>
#include <string>
#include <string_view>

#include "epara/model/scenario.hpp"

namespace epara::io {

/// Parses a scenario from JSON text. `source` names the text in error messages (a file name).
/// Throws InvalidArgument naming the source and the JSON path (or line and column for a syntax
/// error) of the first problem: unknown or missing field, wrong type, out-of-range or
/// non-finite number, unknown or repeated name, inconsistent hardware, disconnected network.
Scenario parse_scenario(std::string_view json_text, std::string_view source);

/// Reads and parses the file at `path`; InvalidArgument if it cannot be read.
Scenario load_scenario(const std::filesystem::path& path);

/// The scenario as JSON text that parse_scenario reads back to an equal Scenario.
std::string scenario_to_json(const Scenario& scenario);

/// Writes scenario_to_json(scenario) to `path`; InvalidArgument if it cannot be written.
void save_scenario(const Scenario& scenario, const std::filesystem::path& path);

/// The whole content of a text file; InvalidArgument naming the file when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace epara::io
