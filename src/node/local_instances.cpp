#include "local_instances.hpp"

#include <algorithm>

#include "epara/exec/random_inputs.hpp"
#include "epara/exec/reference/cpu_attention.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "epara/exec/reference/identity.hpp"
#include "epara/placement/placement_diff.hpp"
#ifdef EPARA_WITH_TORCH
#include "epara/torchscript/script_model.hpp"
#endif
#ifdef EPARA_WITH_CUDA
#include "epara/cuda/attention.hpp"
#include "epara/cuda/dense_chain.hpp"
#include "epara/cuda/runtime.hpp"
#endif

namespace epara::node {

namespace {

// A model that times its passes into the service's estimate of compute per item: what a pass
// takes here now (contention included), without the queueing that a submission-to-result time
// would add — best_local() counts the queue itself, from its length. Per item, so passes of any
// size update it (an idle replica's estimate follows the machine too). Passes are also counted
// for /metrics.
class TimedModel {
 public:
  TimedModel(exec::AnyModel model, std::atomic<std::int64_t>& item_ns, NodeMetrics& metrics,
             std::string name)
      : model_(std::move(model)), item_ns_(&item_ns), metrics_(&metrics), name_(std::move(name)) {}
  std::span<const exec::TensorSpec> inputs() const { return model_.inputs(); }
  std::span<const exec::TensorSpec> outputs() const { return model_.outputs(); }
  std::size_t max_batch() const { return model_.max_batch(); }
  Bytes memory() const { return model_.memory(); }
  void forward(exec::Batch& batch) {
    const Time start = exec::now();
    model_.forward(batch);
    const Duration took = exec::now() - start;
    const std::size_t n = batch.size();
    *item_ns_ = (7 * item_ns_->load() + took.count() / static_cast<std::int64_t>(n)) /
                8;  // smoothed over ~8 passes
    metrics_->pass(name_, n, took);
  }

 private:
  exec::AnyModel model_;
  std::atomic<std::int64_t>* item_ns_;
  NodeMetrics* metrics_;
  std::string name_;
};

// A model that runs only in its device's turn, adding the time it holds the device to the
// device's busy time: the passes of the services placed on one device take turns on it
// (multi-task sharing).
class DeviceTurnModel {
 public:
  DeviceTurnModel(exec::AnyModel model, exec::DeviceArbiter& turns, std::atomic<std::int64_t>& busy)
      : model_(std::move(model)), turns_(&turns), busy_ns_(&busy) {}
  std::span<const exec::TensorSpec> inputs() const { return model_.inputs(); }
  std::span<const exec::TensorSpec> outputs() const { return model_.outputs(); }
  std::size_t max_batch() const { return model_.max_batch(); }
  Bytes memory() const { return model_.memory(); }
  void forward(exec::Batch& batch) {
    const exec::DeviceArbiter::Hold turn(turns_, 0);
    const Time start = exec::now();
    model_.forward(batch);
    *busy_ns_ += (exec::now() - start).count();
  }

 private:
  exec::AnyModel model_;
  exec::DeviceArbiter* turns_;
  std::atomic<std::int64_t>* busy_ns_;
};

// Model parallel: a model cut into stages on different devices, each stage's output the next
// one's input (through host memory), run one after the other for a pass.
class StagedModel {
 public:
  explicit StagedModel(std::vector<exec::AnyModel> stages) : stages_(std::move(stages)) {}
  std::span<const exec::TensorSpec> inputs() const { return stages_.front().inputs(); }
  std::span<const exec::TensorSpec> outputs() const { return stages_.back().outputs(); }
  std::size_t max_batch() const {
    std::size_t b = stages_.front().max_batch();
    for (const auto& s : stages_) b = std::min(b, s.max_batch());
    return b;
  }
  Bytes memory() const {
    Bytes total{};
    for (const auto& s : stages_) total = total + s.memory();
    return total;
  }
  void forward(exec::Batch& batch) {
    // Stage 0 reads the pass's inputs, each later stage what the one before wrote; the last
    // one's outputs are the pass's.
    std::vector<std::vector<exec::Tensor>> activations;
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      const std::size_t outputs = stages_[i].outputs().size();
      exec::Batch stage =
          i == 0 ? batch.with_outputs(outputs) : exec::Batch::over(activations, outputs);
      stages_[i].forward(stage);
      activations = stage.take_outputs();
    }
    batch.set_outputs(std::move(activations));
  }

 private:
  std::vector<exec::AnyModel> stages_;
};

}  // namespace

LocalInstances::LocalInstances(const Scenario& scenario, const Deployment& deployment,
                               ServerId self, std::map<ServiceId, exec::BatchPolicy> policies,
                               NodeMetrics& metrics)
    : scenario_(&scenario),
      deployment_(&deployment),
      self_(self),
      metrics_(&metrics),
      policies_(std::move(policies)) {
  const ServerSpec& server = scenario.cluster.server(self);
  for (std::size_t g = 0; g < server.gpus.size(); ++g)
    devices_.emplace(static_cast<DeviceSlot>(g), std::make_unique<Device>());
  if (server.cpu) devices_.emplace(cpu_slot, std::make_unique<Device>());
  const DeviceSlot first_device = server.gpus.empty() ? cpu_slot : 0;
  for (const ModelSpec& m : deployment.models) {
    estimates_.emplace(m.service, std::make_unique<Estimate>());
    exec::BatchPolicy& p = policies_[m.service];
    p.max_batch = std::clamp<std::size_t>(p.max_batch, 1, m.max_batch);
    // Measure one pass of a full batch: the estimate until the executors time their own.
    exec::AnyModel model = make_model(m.service, first_device);
    const auto items = exec::random_items(model.inputs(), p.max_batch, {}, 1);
    const auto pass = [&] {
      exec::Batch batch = exec::Batch::over(items, model.outputs().size());
      model.forward(batch);
    };
    pass();  // warm-up
    const Time start = exec::now();
    pass();
    estimates_[m.service]->item_ns =
        (exec::now() - start).count() / static_cast<std::int64_t>(p.max_batch);
  }
}

LocalInstances::~LocalInstances() { shutdown(); }

int LocalInstances::gpus_present() {
#ifdef EPARA_WITH_CUDA
  return cuda::query_devices().count;
#else
  return 0;
#endif
}

namespace {

// A dense chain (or a stage of one) on `device`: that GPU of the node when it has GPUs (each
// model on its own stream), else the CPU. A placement's GPU index beyond the GPUs present (a
// cloud declared with more than the machine has) wraps around them.
exec::AnyModel dense_on(const exec::DenseChainWeights& weights, std::size_t max_batch,
                        [[maybe_unused]] DeviceSlot device, [[maybe_unused]] int gpus) {
#ifdef EPARA_WITH_CUDA
  if (gpus > 0)
    return exec::AnyModel(
        cuda::DenseChain(weights, max_batch, cuda::StreamOptions{std::max(device, 0) % gpus, 0}));
#endif
  return exec::AnyModel(exec::CpuDenseChain(weights, max_batch));
}

}  // namespace

exec::AnyModel LocalInstances::make_model(ServiceId s, DeviceSlot device) const {
  const ModelSpec& m = *deployment_->model(s);
  if (m.kind == ModelSpec::Kind::TorchScript) {
#ifdef EPARA_WITH_TORCH
    const bool gpu = gpus_ > 0 && torchscript::cuda_available();
    return exec::AnyModel(torchscript::ScriptModel(m.file, m.inputs, m.outputs, m.max_batch,
                                                   gpu ? std::max(device, 0) % gpus_ : -1));
#else
    throw InvalidArgument(fmt::format(
        "'{}' is a TorchScript model, but this epara-node was built without libtorch (Debian: "
        "libtorch-dev)",
        scenario_->service(s).name));
#endif
  }
  if (m.kind == ModelSpec::Kind::Identity)
    return exec::AnyModel(exec::Identity(m.inputs, m.max_batch));
  if (m.kind == ModelSpec::Kind::Dense)
    return dense_on(exec::make_dense_chain(m.widths, m.seed), m.max_batch, device, gpus_);
#ifdef EPARA_WITH_CUDA
  if (gpus_ > 0)
    return exec::AnyModel(cuda::Attention(exec::make_attention(m.tokens, m.dim, m.seed),
                                          m.max_batch,
                                          cuda::StreamOptions{std::max(device, 0) % gpus_, 0}));
#endif
  return exec::AnyModel(
      exec::CpuAttention(exec::make_attention(m.tokens, m.dim, m.seed), m.max_batch));
}

exec::AnyModel LocalInstances::make_instance(ServiceId s, const std::vector<DeviceSlot>& devices) {
  const ModelSpec& m = *deployment_->model(s);
  const std::size_t layers = m.kind == ModelSpec::Kind::Dense ? m.widths.size() - 1 : 1;
  const std::size_t k = std::min(devices.size(), layers);
  const auto in_turn = [&](exec::AnyModel model, DeviceSlot d) {
    Device& device = *devices_.at(d);
    return exec::AnyModel(DeviceTurnModel(std::move(model), device.turns, device.busy_ns));
  };
  if (k <= 1) return in_turn(make_model(s, devices.front()), devices.front());
  std::vector<exec::AnyModel> stages;
  const auto weights = exec::split_stages(exec::make_dense_chain(m.widths, m.seed), k);
  for (std::size_t i = 0; i < k; ++i)
    stages.push_back(in_turn(dense_on(weights[i], m.max_batch, devices[i], gpus_), devices[i]));
  return exec::AnyModel(StagedModel(std::move(stages)));
}

std::vector<LocalInstances::Change> LocalInstances::apply(
    const std::map<ServiceId, InstanceDevices>& instances,
    const std::map<ServiceId, exec::BatchPolicy>& planned) {
  // A service whose instances share no device with another instance runs its passes without
  // waiting for fuller batches (gather_timeout).
  std::map<DeviceSlot, int> tenants;
  for (const auto& [service, devices] : instances)
    if (deployment_->model(service))
      for (const std::vector<DeviceSlot>& on : devices)
        for (DeviceSlot d : on) ++tenants[d];
  const auto alone = [&](const InstanceDevices& devices) {
    return std::all_of(devices.begin(), devices.end(), [&](const std::vector<DeviceSlot>& on) {
      return std::all_of(on.begin(), on.end(), [&](DeviceSlot d) { return tenants[d] == 1; });
    });
  };
  // What a service's passes run under: its placed plan's batching (else the declared plan's),
  // within the model's batch, without waiting for fuller batches when alone.
  const auto policy_for = [&](ServiceId service, const InstanceDevices& devices) {
    exec::BatchPolicy p = policies_.at(service);
    if (const auto it = planned.find(service); it != planned.end()) {
      p.max_batch = it->second.max_batch;
      p.timeout = it->second.timeout;
    }
    p.max_batch = std::clamp<std::size_t>(p.max_batch, 1, deployment_->model(service)->max_batch);
    p.timeout = gather_timeout(p.timeout, alone(devices));
    return p;
  };
  // What changes: services with an instance here to unload or to load (placement_diff, as the
  // simulator applies a placement); the others are retuned to their batching in place. Only
  // apply() writes running_, and the node applies one placement at a time, so this stays true
  // until the swap below.
  std::map<ServiceId, Change> changes;
  {
    std::shared_lock lock(mutex_);
    std::vector<LoadedInstance> loaded, wanted;
    for (const auto& [service, r] : running_)
      for (const std::vector<DeviceSlot>& on : r->devices) loaded.push_back({service, self_, on});
    for (const auto& [service, devices] : instances)
      if (deployment_->model(service))
        for (const std::vector<DeviceSlot>& on : devices) wanted.push_back({service, self_, on});
    const PlacementDiff diff = placement_diff<LoadedInstance, LoadedInstance>(loaded, wanted);
    const auto changed = [&](ServiceId service) {
      const auto before = running_.find(service);
      const auto after = instances.find(service);
      changes.try_emplace(
          service, Change{service, before == running_.end() ? 0 : before->second->replicas,
                          after == instances.end() ? 0 : static_cast<int>(after->second.size())});
    };
    for (std::size_t l : diff.unload) changed(loaded[l].service);
    for (std::size_t w : diff.load) changed(wanted[w].service);
    for (const auto& [service, r] : running_)
      if (!changes.count(service)) {
        const exec::BatchPolicy p = policy_for(service, r->devices);
        r->executor->retune(p.max_batch, p.timeout);
      }
  }
  // New executors are built here, off the request path (weights and device handles take
  // time); requests meanwhile run on the old ones.
  std::map<ServiceId, std::shared_ptr<Running>> built;
  for (const auto& [service, change] : changes) {
    if (change.after == 0) continue;
    std::vector<exec::AnyModel> models;
    const InstanceDevices& devices = instances.at(service);
    for (const std::vector<DeviceSlot>& on : devices)
      models.emplace_back(TimedModel(make_instance(service, on), estimates_.at(service)->item_ns,
                                     *metrics_, scenario_->service(service).name));
    auto r = std::make_shared<Running>();
    r->devices = devices;
    r->replicas = change.after;
    r->executor = std::make_unique<exec::DataParallelExecutor<exec::AnyModel>>(
        std::move(models), policy_for(service, devices));
    built.emplace(service, std::move(r));
  }
  std::vector<std::shared_ptr<Running>> retired;
  {
    std::unique_lock lock(mutex_);  // the swap: pointer moves only
    for (const auto& [service, change] : changes) {
      const auto old = running_.find(service);
      if (old != running_.end()) {
        retired.push_back(std::move(old->second));
        running_.erase(old);
      }
      if (const auto b = built.find(service); b != built.end())
        running_.emplace(service, std::move(b->second));
    }
  }
  // The old executors finish what they hold (outside the lock: requests keep flowing to the new
  // ones; none can still be queueing on an old one, see submit()).
  for (auto& r : retired) r->executor->shutdown(exec::Drain::Finish);
  std::vector<Change> out;
  out.reserve(changes.size());
  for (const auto& [service, change] : changes) out.push_back(change);
  return out;
}

exec::BatchPolicy LocalInstances::policy_of(ServiceId service) const {
  std::shared_lock lock(mutex_);
  const auto it = running_.find(service);
  return it == running_.end() ? policies_.at(service) : it->second->executor->policy();
}

bool LocalInstances::hosts(ServiceId service) const {
  std::shared_lock lock(mutex_);
  return running_.count(service) > 0;
}

std::size_t LocalInstances::queued(ServiceId service) const {
  std::shared_lock lock(mutex_);
  const auto it = running_.find(service);
  return it == running_.end() ? 0 : it->second->executor->queued();
}

int LocalInstances::replicas(ServiceId service) const {
  std::shared_lock lock(mutex_);
  const auto it = running_.find(service);
  return it == running_.end() ? 0 : it->second->replicas;
}

std::optional<LocalInstances::Outlook> LocalInstances::outlook(ServiceId service) const {
  std::shared_lock lock(mutex_);
  const auto it = running_.find(service);
  if (it == running_.end()) return std::nullopt;
  const auto& executor = *it->second->executor;
  const auto replicas = static_cast<std::size_t>(it->second->replicas);
  const std::size_t batch = executor.policy().max_batch, queued = executor.queued();
  // Full rounds of passes (one per replica) go first; the new item joins the pass after them
  // with its share of what is left. A pass takes its items' compute: linear in the batch, close
  // for the CPU reference models (0.29-0.21 ms an item from batch 1 to 16, epara-profile); a GPU
  // model's small passes cost nearly a full one, so there short queues read optimistic.
  const std::size_t rounds = queued / (batch * replicas);
  const std::size_t joins = std::min(batch, queued % (batch * replicas) / replicas + 1);
  const std::int64_t item_ns = estimates_.at(service)->item_ns.load();
  const double capacity =
      1e9 * static_cast<double>(replicas) / std::max(1.0, static_cast<double>(item_ns));
  return Outlook{Duration{item_ns * static_cast<std::int64_t>(rounds * batch)},
                 Duration{item_ns * static_cast<std::int64_t>(joins)},
                 Duration{item_ns / static_cast<std::int64_t>(replicas)},
                 std::max(0.0, capacity - estimates_.at(service)->submitted.rate(exec::now()))};
}

std::optional<LocalOption> LocalInstances::best_local(ServiceId service, Time now) const {
  const auto o = outlook(service);
  if (!o) return std::nullopt;
  return LocalOption{0, now + o->queue + o->compute, o->spare_rate};
}

std::vector<std::future<exec::Result>> LocalInstances::submit(ServiceId service, Items items,
                                                              Time deadline, std::uint64_t stream) {
  estimates_.at(service)->submitted.add(exec::now(), items.size());
  std::vector<std::future<exec::Result>> futures;
  // Queued under the shared lock: apply() swaps an executor out under the exclusive lock and
  // shuts it down after, so no item reaches an executor that is shutting down.
  std::shared_lock lock(mutex_);
  const auto it = running_.find(service);
  if (it == running_.end()) return {};
  for (std::vector<exec::Tensor>& inputs : items)
    futures.push_back(it->second->executor->submit({std::move(inputs), deadline, stream}));
  return futures;
}

std::map<DeviceSlot, Duration> LocalInstances::device_busy() const {
  std::map<DeviceSlot, Duration> busy;
  for (const auto& [slot, device] : devices_) busy[slot] = Duration{device->busy_ns.load()};
  return busy;
}

std::vector<InstanceDigest> LocalInstances::digests() const {
  std::vector<ServiceId> services;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [s, r] : running_) services.push_back(s);
  }
  std::vector<InstanceDigest> out;
  for (ServiceId s : services)
    if (const auto o = outlook(s))
      out.push_back({s, o->queue, o->compute, o->item_work, static_cast<float>(o->spare_rate)});
  return out;
}

std::map<ServiceId, std::shared_ptr<LocalInstances::Running>> LocalInstances::take_running() {
  std::map<ServiceId, std::shared_ptr<Running>> all;
  std::unique_lock lock(mutex_);
  all.swap(running_);
  return all;
}

void LocalInstances::shutdown() {
  for (auto& [s, r] : take_running()) r->executor->shutdown(exec::Drain::Finish);
}

bool LocalInstances::shutdown(Time deadline) {
  bool stopped = true;
  for (auto& [s, r] : take_running()) {
    if (r->executor->shutdown(exec::Drain::Finish, std::max(deadline - exec::now(), Duration{})))
      continue;
    stopped = false;
    (void)r->executor.release();  // deliberately leaked: destroying it would wait for the model
  }
  return stopped;
}

}  // namespace epara::node
