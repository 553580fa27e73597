#pragma once
// Batching: one model replica serving requests in passes of up to max_batch items, waiting at
// most `timeout` after the oldest for a pass to fill (LS-1 services; DESIGN §1).

#include "epara/exec/plan_policy.hpp"
#include "epara/exec/queue_executor.hpp"

namespace epara::exec {

template <Model M>
class BatchingExecutor : public QueueExecutor<M> {
 public:
  BatchingExecutor(M model, BatchPolicy policy)
      : QueueExecutor<M>(detail::single(std::move(model)), policy, Order::AsCompleted) {}
  BatchingExecutor(M model, const Plan& plan)
      : BatchingExecutor(std::move(model), batch_policy(plan)) {}
};

}  // namespace epara::exec
