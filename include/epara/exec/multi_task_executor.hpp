#pragma once
// Multi-task sharing: several services' models on one device, each with its own queue, batch
// policy and worker (on a GPU: its own CUDA stream), passes granted by a DeviceArbiter in
// priority order. Models of different types are held as AnyModel.

#include <memory>
#include <utility>
#include <vector>

#include "epara/exec/queue_executor.hpp"

namespace epara::exec {

class MultiTaskExecutor {
 public:
  /// `concurrency`: passes that may run on the device at once (1: time-sliced).
  explicit MultiTaskExecutor(std::size_t concurrency = 1) : arbiter_(concurrency) {}
  ~MultiTaskExecutor() { shutdown(Drain::Finish); }

  /// Adds a task and returns its index; a higher priority gets the device first.
  template <Model M>
  std::size_t add_task(M model, BatchPolicy policy, int priority = 0) {
    tasks_.push_back(
        std::make_unique<QueueExecutor<AnyModel>>(detail::single(AnyModel(std::move(model))),
                                                  policy, Order::AsCompleted, &arbiter_, priority));
    return tasks_.size() - 1;
  }

  std::future<Result> submit(std::size_t task, Item item, Callback callback = {}) {
    EPARA_EXPECTS(task < tasks_.size(),
                  fmt::format("multi-task executor: no task {} (has {})", task, tasks_.size()));
    return tasks_[task]->submit(std::move(item), std::move(callback));
  }

  void shutdown(Drain drain = Drain::Finish) {
    for (auto& t : tasks_) t->shutdown(drain);
  }

  Counts counts(std::size_t task) const { return tasks_.at(task)->counts(); }
  std::size_t tasks() const noexcept { return tasks_.size(); }
  std::size_t waiting() const { return arbiter_.waiting(); }  ///< passes waiting for the device

 private:
  DeviceArbiter arbiter_;  // declared first: outlives the tasks that hold it
  std::vector<std::unique_ptr<QueueExecutor<AnyModel>>> tasks_;
};

}  // namespace epara::exec
