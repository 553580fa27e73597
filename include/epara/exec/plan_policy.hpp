#pragma once
// From an allocator Plan to executor settings: the plan's batch size (or m frames per pass)
// and batching timeout become the BatchPolicy; its replicas d and GPUs per replica k say how
// many models a data- or model-parallel executor needs.

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/exec/item.hpp"
#include "epara/parallel/plan.hpp"

namespace epara::exec {

inline BatchPolicy batch_policy(const Plan& plan) {
  EPARA_EXPECTS(plan.max_batch >= 1 && plan.frames_per_pass >= 1,
                "batch_policy: the plan's batch and frames per pass must be >= 1");
  BatchPolicy p;
  p.same_stream = plan.modes.contains(Mode::MultiFrame);
  p.max_batch = static_cast<std::size_t>(p.same_stream ? plan.frames_per_pass : plan.max_batch);
  p.timeout = plan.batch_timeout;
  return p;
}

/// Throws unless `given` models match what the plan asks for (`what`: "replicas", "stages").
inline void expect_plan_count(std::size_t given, int planned, const char* what) {
  EPARA_EXPECTS(given == static_cast<std::size_t>(planned),
                fmt::format("executor: the plan asks for {} {}, {} given", planned, what, given));
}

}  // namespace epara::exec
