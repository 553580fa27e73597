#pragma once
// A simulation strategy written in Python (bind_strategy.cpp): an object with
// `deploy(sim) -> [(service, server, [gpu slots]), ...]` and
// `route(sim, request) -> ("local", instance id) | ("offload", server) | ("reject", reason)`,
// optionally `name` and `synchronizes`. Its callbacks run under the GIL.

#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "epara/sim/strategy.hpp"

namespace epara::python {

class PyStrategy final : public sim::Strategy {
 public:
  explicit PyStrategy(pybind11::object strategy);
  ~PyStrategy() override;
  std::string_view name() const override { return name_; }
  bool synchronizes() const override { return synchronizes_; }
  std::vector<sim::InstanceSpec> deploy(sim::SimView& sim) override;
  Decision route(sim::SimView& sim, Request& request, ServerId at, Time now) override;

 private:
  pybind11::object strategy_;
  std::string name_;
  bool synchronizes_ = false;
};

void bind_strategy(pybind11::module_& m);

}  // namespace epara::python
