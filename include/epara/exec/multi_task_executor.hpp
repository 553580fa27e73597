#pragma once
// Multi-task sharing: several services' models on one device, each with its own queue, batch
// policy and worker (on a GPU: its own CUDA stream), passes granted by a DeviceArbiter in
// priority order. Models of different types are held as AnyModel.

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "epara/exec/queue_executor.hpp"

namespace epara::exec {

class MultiTaskExecutor {
 public:
  /// `concurrency`: passes that may run on the device at once (1: time-sliced).
  explicit MultiTaskExecutor(std::size_t concurrency = 1) : arbiter_(concurrency) {}
  ~MultiTaskExecutor() { shutdown(Drain::Finish); }

  /// Adds a task and returns its index; a higher priority gets the device first. Safe beside
  /// submit() from other threads (the node adds a task when placement loads a service); after
  /// shutdown() it throws InvalidArgument.
  template <Model M>
  std::size_t add_task(M model, BatchPolicy policy, int priority = 0) {
    auto task =
        std::make_unique<QueueExecutor<AnyModel>>(detail::single(AnyModel(std::move(model))),
                                                  policy, Order::AsCompleted, &arbiter_, priority);
    std::unique_lock lock(tasks_mutex_);
    EPARA_EXPECTS(!shut_down_, "multi-task executor: add_task after shutdown");
    tasks_.push_back(std::move(task));
    return tasks_.size() - 1;
  }

  std::future<Result> submit(std::size_t task, Item item, Callback callback = {}) {
    return at(task).submit(std::move(item), std::move(callback));
  }

  void shutdown(Drain drain = Drain::Finish) {
    stop_adding();
    for (auto& t : tasks_) t->shutdown(drain);
  }

  /// As QueueExecutor::shutdown(drain, grace), for all tasks within one grace period.
  bool shutdown(Drain drain, Duration grace) {
    stop_adding();
    const Time deadline = now() + grace;
    bool all = true;
    for (auto& t : tasks_) all = t->shutdown(drain, std::max(deadline - now(), Duration{})) && all;
    return all;
  }

  Counts counts(std::size_t task) const { return at(task).counts(); }
  std::size_t tasks() const {
    std::shared_lock lock(tasks_mutex_);
    return tasks_.size();
  }
  std::size_t waiting() const { return arbiter_.waiting(); }  ///< passes waiting for the device

 private:
  void stop_adding() {
    std::unique_lock lock(tasks_mutex_);
    shut_down_ = true;  // no task comes after: every one is shut down by the caller
  }

  // A task, found under the lock; tasks are never removed, so it outlives the lock.
  QueueExecutor<AnyModel>& at(std::size_t task) const {
    std::shared_lock lock(tasks_mutex_);
    EPARA_EXPECTS(task < tasks_.size(),
                  fmt::format("multi-task executor: no task {} (has {})", task, tasks_.size()));
    return *tasks_[task];
  }

  DeviceArbiter arbiter_;                  // declared first: outlives the tasks that hold it
  mutable std::shared_mutex tasks_mutex_;  // add_task grows tasks_ while others submit
  std::vector<std::unique_ptr<QueueExecutor<AnyModel>>> tasks_;
  bool shut_down_ = false;
};

}  // namespace epara::exec
