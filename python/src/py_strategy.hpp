#pragma once
// A simulation strategy written in Python (bind_strategy.cpp): an object with
// `deploy(sim) -> [(service, server, [gpu slots]), ...]` and
// `route(sim, request) -> ("local", instance id) | ("offload", server) | ("reject", reason)`,
// optionally `name`, `synchronizes`, and re-placement: `replan(sim)` every `replan_period_s`
// (default: the simulation's placement period) and `on_failure(sim)` once a failure is known,
// each returning deploy()'s list (the instances wanted from now on) or None (no change); and
// streams: `assign_stream(sim, stream) -> [target servers] | None` at the stream's origin,
// `admit_stream(sim, service, rate_per_s) -> bool` at a target asked for a share,
// `release_stream(service, targets)`. Its callbacks run under the GIL.

#include <optional>
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
  std::optional<std::vector<sim::InstanceSpec>> replan(sim::SimView& sim, Time now) override;
  Duration replan_period(const sim::SimulationConfig& config) const override;
  std::optional<StreamAssignment> assign_stream(sim::SimView& sim, ServiceId service,
                                                ServerId origin, Time now,
                                                std::span<const ServerId> declined) override;
  bool admit_stream(sim::SimView& sim, ServiceId service, ServerId target, double rate,
                    Time now) override;
  void release_stream(sim::SimView& sim, const StreamAssignment& assignment) override;
  std::optional<std::vector<sim::InstanceSpec>> on_failure(sim::SimView& sim, Time now) override;

 private:
  // deploy(), replan() or on_failure(): the method's list, or nullopt for None.
  std::optional<std::vector<sim::InstanceSpec>> place(const char* method, sim::SimView& sim,
                                                      Time now);
  pybind11::object strategy_;
  std::string name_;
  bool synchronizes_ = false;
  bool has_replan_ = false;
  bool has_on_failure_ = false;
  bool has_assign_stream_ = false;
  bool has_admit_stream_ = false;
  bool has_release_stream_ = false;
  std::optional<Duration> replan_period_;
};

void bind_strategy(pybind11::module_& m);

}  // namespace epara::python
