#pragma once
// A simulation run's metrics as JSON: totals, utilization, sync and placement counts, and per
// service offered / served / late / rejections by reason / offloads / mean latency. Part of
// epara::sim; used by epara-sim --json and the Python bindings.

#include <string>

#include "epara/model/scenario.hpp"
#include "epara/sim/metrics.hpp"

namespace epara::sim {

std::string run_metrics_to_json(const RunMetrics& metrics, const Scenario& scenario);

}  // namespace epara::sim
