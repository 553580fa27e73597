#pragma once
// A scenario as Python holds it: the parsed Scenario plus the text and place it came from, so
// that its simulation section (and a trace beside it) can be read when it is simulated.

#include <filesystem>
#include <string>

#include <pybind11/pybind11.h>

#include "epara/model/scenario.hpp"

namespace epara::python {

struct PyScenario {
  Scenario scenario;
  std::string text;
  std::string source;
  std::filesystem::path base_dir;
};

void bind_scenario(pybind11::module_& m);
void bind_placement(pybind11::module_& m);
void bind_simulation(pybind11::module_& m);

/// JSON text from the library as Python objects (dicts and lists).
pybind11::object from_json(const std::string& text);

}  // namespace epara::python
