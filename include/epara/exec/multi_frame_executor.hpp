#pragma once
// Multi-frame batching: passes of up to m items of one stream (FS-1 services), so a stream's
// frames share a pass and its rate is met with fewer passes. One worker and a FIFO queue return
// each stream's results in frame order.

#include <utility>
#include <vector>

#include "epara/exec/plan_policy.hpp"
#include "epara/exec/queue_executor.hpp"

namespace epara::exec {

template <Model M>
class MultiFrameExecutor : public QueueExecutor<M> {
 public:
  /// `frames`: m, items of one stream per pass; `timeout`: longest wait for m frames.
  MultiFrameExecutor(M model, std::size_t frames, Duration timeout, bool drop_expired = true)
      : QueueExecutor<M>(detail::single(std::move(model)),
                         BatchPolicy{frames, timeout, true, drop_expired, BatchPolicy{}.capacity},
                         Order::AsCompleted) {}
  /// From a multi-frame plan: m = frames_per_pass, its batching timeout.
  MultiFrameExecutor(M model, const Plan& plan)
      : MultiFrameExecutor(std::move(model), static_cast<std::size_t>(plan.frames_per_pass),
                           plan.batch_timeout) {}
};

}  // namespace epara::exec
