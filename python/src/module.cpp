// The `epara` Python module: scenarios, categorization, allocation, placement (with objectives
// written in Python), the simulator. Library errors become Python exceptions with the same
// messages: InvalidArgument -> ValueError, other epara errors -> RuntimeError.

#include <pybind11/pybind11.h>

#include "epara/error.hpp"
#include "py_scenario.hpp"
#include "py_strategy.hpp"

namespace py = pybind11;

namespace epara::python {
pybind11::object from_json(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}
}  // namespace epara::python

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "libepara for researchers: categorize services, allocate parallel plans, place instances "
      "by greedy submodular maximization (with your own objective), and simulate strategies.";
  // The most derived last: pybind11 tries the latest registered translator first.
  m.attr("__version__") = EPARA_VERSION;
  py::register_exception<epara::Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<epara::InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);
  epara::python::bind_scenario(m);
  epara::python::bind_placement(m);
  epara::python::bind_simulation(m);
  epara::python::bind_strategy(m);
}
