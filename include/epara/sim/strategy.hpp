#pragma once
// The simulator's customization point: a Strategy decides where instances run and where each
// request goes. EPARA and the baselines are Strategies; runtime polymorphism stops here, at the
// edge of the simulator (a run calls a strategy a handful of times per request).

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "epara/handler/decision.hpp"
#include "epara/handler/stream_assignment.hpp"
#include "epara/handler/synced_view.hpp"
#include "epara/parallel/replica_timing.hpp"
#include "epara/sim/config.hpp"

namespace epara::sim {

/// How one replica executes: the simulator dispatches a pass of up to max_batch queued items
/// once max_batch are queued or the oldest has waited `timeout`; a pass takes timing.pass_at(b)
/// (times the interference factor when its device is shared, times the largest work factor in
/// the batch, times simulation.pass_time_scale), and the next may start timing.interval_at(b)
/// after it began.
struct ReplicaConfig {
  int max_batch = 1;
  Duration timeout{};
  ReplicaTiming timing{};
  double share = 1.0;  ///< < 1: a multi-task replica on a shared device
  Duration load_time{};
  /// Multi-frame without batching across streams: a pass takes items of the oldest queued
  /// item's stream only (as exec::MultiFrameExecutor does), and waits for max_batch of them.
  bool same_stream = false;
};

/// An instance to run: a replica of a service on devices of one server.
struct InstanceSpec {
  ServiceId service{};
  ServerId server{};
  std::vector<DeviceSlot> devices{};
  ReplicaConfig config{};
};

/// One instance as the placement publishes it: what every server knows of it. Its queue is
/// known exactly only where it runs (SimView::queued, predicted_finish).
struct InstanceState {
  ServiceId service{};
  ServerId server{};
  bool serving = false;  ///< alive and loaded
  int max_batch = 1;
  double capacity = 0.0;  ///< items per second at full batches
};

/// The simulation as strategies see it (implemented by the simulator): the scenario, the
/// placement (which instances serve what, where), and exact state only of the server deciding
/// — another server's queues reach it through its ring-synced view (view_of), as in a real
/// cluster. The one exception is named: dispatcher_queue, for a baseline whose design has a
/// central controller.
class SimView {
 public:
  virtual ~SimView() = default;
  virtual const Scenario& scenario() const = 0;
  virtual const SimulationConfig& config() const = 0;
  virtual const Network& network() const = 0;
  /// Demand as the scenario declares it, scaled by the run's load scale.
  virtual const std::vector<Demand>& declared_demand() const = 0;
  /// Demand measured since the last re-placement (streams: those active now), and how long
  /// that is.
  virtual std::vector<Demand> measured_demand(Time now) const = 0;
  virtual Duration period_since_replan(Time now) const = 0;
  virtual std::size_t instance_count() const = 0;
  virtual InstanceState instance(std::uint32_t id) const = 0;
  /// Serving instances of a service, everywhere / on one server, by id (valid until the
  /// instances change: a placement, a failure, a recovery).
  virtual std::span<const std::uint32_t> serving(ServiceId s) const = 0;
  virtual std::span<const std::uint32_t> serving_on(ServerId server, ServiceId s) const = 0;
  /// Items waiting for a pass on instance `id`, as server `at` knows them: it must run there
  /// (InvalidArgument otherwise).
  virtual std::size_t queued(ServerId at, std::uint32_t id) const = 0;
  /// When a new item of `work` would finish on instance `id`, which runs on `at` (InvalidArgument
  /// otherwise), if enqueued now: the passes queued ahead of it at the mean work of the passes
  /// the instance has finished (1 before any), its own at no less.
  virtual Time predicted_finish(ServerId at, std::uint32_t id, Time now,
                                double work = 1.0) const = 0;
  /// Items queued on instance `id` as a central dispatcher that sends every request of its
  /// service knows them (AlpaServe's controller). Exact, as if it heard of every pass at once:
  /// an idealization in that baseline's favour, for strategies whose design has one.
  virtual std::size_t dispatcher_queue(std::uint32_t id) const = 0;
  virtual bool server_up(ServerId s) const = 0;
  /// Devices failed now, or on a failed server: what a scheduler's failure detection (servers
  /// silent on the sync ring, device errors they report) knows at a placement period.
  virtual std::vector<DeviceRef> devices_down() const = 0;
  /// The server's view of its peers, from ring synchronization (strategies that synchronize).
  virtual SyncedView& view_of(ServerId s) = 0;
  /// Instances loaded now, as a state-aware scheduler wants them.
  virtual std::vector<LoadedInstance> loaded() const = 0;
};

/// A serving approach under test. The simulator enters the server on the request's route
/// before route(), and refuses an offload to a server already on it (a loop) as hop-limit.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  /// The instances running at the start (loaded, warm).
  virtual std::vector<InstanceSpec> deploy(SimView& sim) = 0;
  /// Where the request now at `at` goes: RunLocal{an instance serving on `at`}, Offload{server}
  /// or Reject{reason}.
  virtual Decision route(SimView& sim, Request& request, ServerId at, Time now) = 0;
  /// A new stream's targets at `origin`, proposed from what the origin knows (its own state,
  /// its synced view, and `declined`: the servers that declined a share of this stream in the
  /// last second); nullopt (the default) routes every item on its own. The simulator asks
  /// each target other than the origin by a message (admit_stream, one network latency away);
  /// the stream's items go to the targets that accepted once every answer is back (one round
  /// trip), and item by item until then.
  virtual std::optional<StreamAssignment> assign_stream(SimView&, ServiceId, ServerId /*origin*/,
                                                        Time,
                                                        std::span<const ServerId> /*declined*/) {
    return std::nullopt;
  }
  /// Whether `target`, asked when the proposal reaches it, takes a share of `rate` items per
  /// second of a stream of the service: its own decision on its own state (the default takes
  /// every share). A down target answers no.
  virtual bool admit_stream(SimView&, ServiceId, ServerId /*target*/, double /*rate*/, Time) {
    return true;
  }
  /// A stream gave its assignment up (it stopped, or is about to be assigned again): the origin
  /// and every target that accepted a share.
  virtual void release_stream(SimView&, const StreamAssignment&) {}
  /// Called every placement period: the instances wanted from now on (the simulator keeps
  /// those already loaded on the same devices, unloads the rest, loads the new ones), or
  /// nullopt to keep everything.
  virtual std::optional<std::vector<InstanceSpec>> replan(SimView&, Time) { return std::nullopt; }
  /// How often replan() is called (the placement period unless a strategy checks more often).
  virtual Duration replan_period(const SimulationConfig& config) const {
    return config.placement_period;
  }
  /// Called once a server or device failure is known (config().failure_detection after it):
  /// the instances wanted now, as for replan(), or nullopt (the default) to wait for the period.
  virtual std::optional<std::vector<InstanceSpec>> on_failure(SimView&, Time) {
    return std::nullopt;
  }
  /// True when servers exchange ring digests (their cost and staleness then count).
  virtual bool synchronizes() const { return false; }
};

}  // namespace epara::sim
