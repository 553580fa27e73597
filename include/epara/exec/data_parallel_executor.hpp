#pragma once
// Data parallelism: d replicas (one per device) take passes from one shared queue, so items
// spread to whichever replica is free; results are delivered in submission order within each
// stream (Item::stream), so a stream's frames leave in order and other streams never wait.

#include <utility>
#include <vector>

#include "epara/exec/plan_policy.hpp"
#include "epara/exec/queue_executor.hpp"

namespace epara::exec {

template <Model M>
class DataParallelExecutor : public QueueExecutor<M> {
 public:
  DataParallelExecutor(std::vector<M> replicas, BatchPolicy policy)
      : QueueExecutor<M>(std::move(replicas), policy, Order::WithinStream) {}
  /// From a data-parallel plan: one model per planned replica (d).
  DataParallelExecutor(std::vector<M> replicas, const Plan& plan)
      : DataParallelExecutor(checked(std::move(replicas), plan), batch_policy(plan)) {}

 private:
  static std::vector<M> checked(std::vector<M> replicas, const Plan& plan) {
    expect_plan_count(replicas.size(), plan.replicas, "replicas");
    return replicas;
  }
};

}  // namespace epara::exec
