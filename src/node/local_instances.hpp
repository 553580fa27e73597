#pragma once
// The instances this node runs: one data-parallel executor per placed service (replicas = its
// instances here) on the service's reference model (cuBLAS on the node's GPUs when it has any,
// Eigen on the CPU otherwise), with running estimates of pass time and of the rate of items
// submitted (counted over the last second). Models the handler's LocalView; thread-safe.
// Each instance runs on the devices the placement gave it: on a GPU node, on those GPUs; an
// instance of k devices is the model cut into k stages, one a device (model parallel); and the
// passes of every service placed on a device take turns on it (multi-task sharing: one
// DeviceArbiter per device, one pass at a time, as the allocator's co-location reserve assumes).

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "epara/deployment.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/device_arbiter.hpp"
#include "epara/exec/rate_meter.hpp"
#include "epara/handler/views.hpp"
#include "epara/model/scenario.hpp"
#include "epara/placement/ground_set.hpp"
#include "epara/sync/digest.hpp"
#include "metrics.hpp"
#include "tensor_wire.hpp"

namespace epara::node {

class LocalInstances {
 public:
  /// `policies`: per service, the allocator plan's batch policy (capped by the model);
  /// `metrics`: where passes are counted (must outlive this).
  LocalInstances(const Scenario& scenario, const Deployment& deployment, ServerId self,
                 std::map<ServiceId, exec::BatchPolicy> policies, NodeMetrics& metrics);
  ~LocalInstances();

  /// A service whose executor apply() stopped or started: instances here before and after.
  struct Change {
    ServiceId service;
    int before, after;
  };
  /// The devices of each instance of a service: one slot per device (a GPU index, or cpu_slot).
  using InstanceDevices = std::vector<std::vector<DeviceSlot>>;
  /// Runs `instances[s]` of each service s here (none for services not listed), batching as
  /// `planned[s]` says (the placement's plan; a service without one keeps the plan for its
  /// declared demand); what it stopped or started (a service whose instances moved between
  /// devices restarts; one whose batching alone changed is retuned in place). New executors are
  /// built before they are swapped in, so requests never wait for a build; the old ones finish
  /// what they hold. One apply() at a time.
  std::vector<Change> apply(const std::map<ServiceId, InstanceDevices>& instances,
                            const std::map<ServiceId, exec::BatchPolicy>& planned = {});

  std::optional<LocalOption> best_local(ServiceId service, Time now) const;  // LocalView
  bool hosts(ServiceId service) const;
  /// Items queued for `service` here (0 when it has no instance here).
  std::size_t queued(ServiceId service) const;
  /// Instances of `service` running here.
  int replicas(ServiceId service) const;
  bool on_gpu() const noexcept { return gpus_ > 0; }
  /// Submits `items` (each its input tensors) of client stream `stream` (Node::new_stream());
  /// empty when the service has no instance here.
  std::vector<std::future<exec::Result>> submit(ServiceId service, Items items, Time deadline,
                                                std::uint64_t stream);
  std::vector<InstanceDigest> digests() const;
  std::size_t batch_of(ServiceId service) const { return policy_of(service).max_batch; }
  /// The batch policy `service`'s passes run under here: the plan's, with no wait for a fuller
  /// batch while its instances are alone on their devices (gather_timeout).
  exec::BatchPolicy policy_of(ServiceId service) const;
  /// A pass of a full batch here, from the compute time per item: measured once at start, then
  /// smoothed over the executors' passes (compute only, no queueing: best_local() adds the
  /// queue ahead from its length).
  Duration pass_estimate(ServiceId service) const {
    return Duration{estimates_.at(service)->item_ns.load() *
                    static_cast<std::int64_t>(batch_of(service))};
  }
  /// Per device of the server, the time passes have held it since the start.
  std::map<DeviceSlot, Duration> device_busy() const;
  /// Finishes queued work and stops every executor.
  void shutdown();
  /// The same by `deadline` at most: an executor whose model has not returned by then has its
  /// items rejected (shutdown) and is left running, never destroyed — its thread still runs
  /// the model, and only the process's exit ends it. True if every executor stopped.
  bool shutdown(Time deadline);

 private:
  struct Running {
    std::unique_ptr<exec::DataParallelExecutor<exec::AnyModel>> executor;
    InstanceDevices devices;
    int replicas = 0;
  };
  struct Estimate {  // per service, updated as passes run and items are submitted
    std::atomic<std::int64_t> item_ns{0};                        // compute per item, smoothed
    exec::RateMeter submitted{std::chrono::milliseconds(1000)};  // items/s run here
  };
  /// What a new item of `service` would meet here now; nullopt when it has no instance.
  struct Outlook {
    Duration queue;      // the full passes ahead of it
    Duration compute;    // the pass it joins
    Duration item_work;  // what one more queued item adds to the queue
    double spare_rate;
  };
  std::optional<Outlook> outlook(ServiceId service) const;
  /// The service's reference model on `device`: that GPU where the node has GPUs (CUDA build),
  /// else the CPU.
  exec::AnyModel make_model(ServiceId s, DeviceSlot device) const;
  /// One instance on `devices`: k stages (of the dense chain's layers; an attention model is
  /// one layer and stays whole on the first), each holding its device's turn while it runs.
  exec::AnyModel make_instance(ServiceId s, const std::vector<DeviceSlot>& devices);
  static int gpus_present();
  /// Every running executor, taken out of running_ (shutdown).
  std::map<ServiceId, std::shared_ptr<Running>> take_running();

  const Scenario* scenario_;
  const Deployment* deployment_;
  ServerId self_;
  NodeMetrics* metrics_;
  const int gpus_ = gpus_present();
  struct Device {                  // one of the server's: whose turn it is, and how busy it was
    exec::DeviceArbiter turns{1};  // one pass at a time
    std::atomic<std::int64_t> busy_ns{0};
  };
  std::map<DeviceSlot, std::unique_ptr<Device>> devices_;
  std::map<ServiceId, exec::BatchPolicy> policies_;
  mutable std::shared_mutex mutex_;
  std::map<ServiceId, std::shared_ptr<Running>> running_;
  std::map<ServiceId, std::unique_ptr<Estimate>> estimates_;
};

}  // namespace epara::node
