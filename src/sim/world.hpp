#pragma once
// The simulator's state and event loop (internal to epara::sim). One World per run.

#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "epara/sim/metrics.hpp"
#include "epara/sim/strategy.hpp"
#include "epara/sync/ring_sync.hpp"
#include "sim/event_queue.hpp"
#include "sim/fifo.hpp"
#include "sim/rng.hpp"
#include "sim/trace_rows.hpp"

namespace epara::sim::detail {

inline constexpr std::uint32_t none = static_cast<std::uint32_t>(-1);

struct SimRequest {
  Request r{};
  double work = 1.0;
  bool measured = false;
  bool live = false;  // between its arrival and its one outcome
  Time enqueued{};    // when it joined an instance's queue
};

struct Pass {
  std::uint32_t instance = none;
  std::vector<std::uint32_t> items{};
  bool cancelled = false;
  double work = 1.0;  // of its heaviest item: the pass runs this many times the profile's time
};

struct SimDevice {
  ServerId server{};
  DeviceSlot slot = 0;
  DeviceClassId device_class{};
  Bytes memory{};
  Bytes used{};
  bool up = true;
  Time free_at{};
  std::vector<std::uint32_t> tenants{};  // instances using it
  std::vector<std::uint32_t> waiting{};  // instances waiting for it to free
  std::vector<std::uint32_t> waking{};   // wake_waiters' turn: `waiting` swapped in, storage kept
  double busy_ns = 0.0;                  // within the measurement window
  double hosting_ns = 0.0;               // within the window, with at least one tenant
  double memory_byte_ns = 0.0;           // memory held by tenants, integrated over the window
  Time counted{};                        // hosting and memory are integrated up to here
};

struct SimInstance {
  InstanceSpec spec{};
  std::vector<std::uint32_t> devices{};  // global device indices
  bool alive = true;
  Time active_from{};  // loaded from then on
  Time free_at{};      // may start its next pass from then on
  Fifo queue{};
  std::uint32_t timer_generation = 0;
  Time timer_at = Time::max();
  double capacity = 0.0;
  // Instances it takes over from: they serve until it is loaded (World::apply).
  std::vector<std::uint32_t> replaces{};
  // The work of the passes it has finished (each its heaviest item's): a server sees how long
  // its passes take against the profile, not how long the next one will.
  double finished_work = 0.0;
  std::uint64_t finished_passes = 0;
  double typical_pass_work() const noexcept {
    return finished_passes == 0 ? 1.0 : finished_work / static_cast<double>(finished_passes);
  }
  // What it received since the last observation, for its digest's spare capacity.
  std::uint64_t received = 0;
  Time observed{};
  double recent_rate = 0.0;
  std::uint32_t passes_running = 0;  // started, their PassEnd not handled yet

  void observe(Time now) {
    const double seconds = to_seconds(now - observed);
    if (seconds > 0) recent_rate = static_cast<double>(received) / seconds;
    received = 0;
    observed = now;
  }
  // Dead with no pass left to end: what sized it goes, what a strategy or a stale event may
  // still read of it stays (ids are never reused, so the figures' order does not change).
  bool retired() const noexcept { return !alive && passes_running == 0; }
  void release_storage() {
    const auto free = [](auto& v) { std::remove_reference_t<decltype(v)>{}.swap(v); };
    free(spec.devices);
    free(spec.config.timing.pass);
    free(spec.config.timing.interval);
    free(devices);
    free(replaces);
    queue = Fifo{};
  }
};

struct SimServer {
  bool up = true;
  std::uint32_t incarnation = 0;
  std::optional<RingSync> sync{};
  std::unique_ptr<SyncedView> view{};
  // Sync state changed at this time: the view is rebuilt as of then when next read (a rebuild
  // per sync event would mostly be overwritten before any request reads it).
  std::optional<Time> view_changed{};
  std::vector<InstanceSpec> lost{};  // instances to reload when it (or a device) returns
};

struct Source {  // Poisson or Gamma requests of one (service, origin)
  ServiceId service{};
  ServerId origin{};
  double rate = 0.0;
  Rng rng{};
};

struct Stream {
  ServiceId service{};
  ServerId origin{};
  double rate = 0.0;
  int rank = 0;      // among its origin's streams: active while rank < streams × load factor
  int declared = 0;  // its origin's declared stream count
  std::uint64_t sequence = 0;
  std::optional<StreamAssignment> assignment{};
  Time assigned{};  // when the assignment was last proposed
  // A proposal whose remote targets are being asked (a handshake in flight): accepted[i] is
  // the answer of proposal->targets[i], awaiting how many answers are not back yet.
  std::optional<StreamAssignment> proposal{};
  std::vector<bool> accepted{};
  int awaiting = 0;
  std::vector<ServerId> declined{};  // targets that declined a share since `declined_since`
  Time declined_since{};
  bool active = true;  // its rank is within the load profile's stream count now
};

class World final : public SimView {
 public:
  World(const Scenario& scenario, const SimulationConfig& config, Strategy& strategy,
        std::vector<TraceRow> trace);
  RunMetrics run();

  // SimView
  const Scenario& scenario() const override { return scenario_; }
  const SimulationConfig& config() const override { return config_; }
  const Network& network() const override { return scenario_.cluster.network; }
  const std::vector<Demand>& declared_demand() const override { return declared_; }
  std::vector<Demand> measured_demand(Time now) const override;
  std::size_t instance_count() const override { return instances_.size(); }
  InstanceState instance(std::uint32_t id) const override;
  std::span<const std::uint32_t> serving(ServiceId s) const override;
  std::span<const std::uint32_t> serving_on(ServerId server, ServiceId s) const override;
  std::size_t queued(ServerId at, std::uint32_t id) const override;
  Time predicted_finish(ServerId at, std::uint32_t id, Time now, double work) const override;
  std::size_t dispatcher_queue(std::uint32_t id) const override {
    return instances_[id].queue.size();
  }
  bool server_up(ServerId s) const override { return servers_[index_of(s)].up; }
  std::vector<DeviceRef> devices_down() const override;
  Duration period_since_replan(Time now) const override { return now - last_replan_; }
  SyncedView& view_of(ServerId s) override;
  std::vector<LoadedInstance> loaded() const override;

 private:
  // setup (world.cpp)
  void build_devices();
  void build_sources();
  std::uint32_t add_instance(const InstanceSpec& spec, Time now, Time active_from);
  void index_serving();

  // requests (world.cpp)
  std::uint32_t new_request(ServiceId s, ServerId origin, Time now, double work,
                            std::optional<StreamPosition> stream);
  void deliver(std::uint32_t req, ServerId at, Time now);
  void finish(std::uint32_t req, Time now);
  void reject(std::uint32_t req, RejectReason reason);
  void release(std::uint32_t req);

  // execution (execution.cpp)
  void enqueue(std::uint32_t inst, std::uint32_t req, Time now);
  void try_start(std::uint32_t inst, Time now);
  void pass_end(std::uint32_t pass, Time now);
  void instance_free(std::uint32_t inst, Time now);
  void wake_waiters(std::uint32_t device, Time now);
  void kill_instance(std::uint32_t inst, Time now, bool reroute);
  void release_if_retired(std::uint32_t inst);
  /// How much longer than its profile a pass of `i` runs: the devices' speed against the
  /// profile (pass_time_scale), times the interference factor when a device is shared.
  double slowdown(const SimInstance& i) const;
  ModeSet modes_of(const Pass& pass);

  // workload (workload.cpp)
  void arrival(std::uint32_t source, Time now);
  void stream_item(std::uint32_t stream, Time now);
  void trace_arrival(std::uint32_t row, Time now);
  void propose_stream(std::uint32_t stream, Time now);
  void stream_offer(std::uint32_t stream, std::uint32_t position, Time now);
  void stream_answer(std::uint32_t stream, Time now);
  void settle_stream(std::uint32_t stream, Time now);  // every answer back: the assignment
  Duration next_gap(Source& s, Time now);

  // synchronization, placement, faults (control.cpp)
  void sync_tick(std::uint32_t server, Time now);
  void sync_deliver(std::uint32_t message, Time now);
  void ack_deliver(std::uint32_t message, Time now);
  ServerDigest digest_of(ServerId s, Time now) const;
  void replan(Time now);         // every period (the strategy's), the demand measured anew
  void failure_known(Time now);  // a failure's detection delay passed: the strategy's response
  void apply(const std::vector<InstanceSpec>& wanted, Time now);
  void loaded(std::uint32_t inst, Time now);
  bool placeable(const InstanceSpec& spec) const;
  void fault(std::uint32_t index, Time now);

  void post_event(Time at, EventKind kind, std::uint32_t a = 0, std::uint32_t b = 0) {
    queue_.push(at, kind, a, b);
  }
  bool measuring(Time t) const { return t >= warmup_end_ && t < arrivals_end_; }
  void count_busy(std::uint32_t device, Time from, Time to);
  // Throws unless instance `id` runs on `at`: a strategy knows exact state only of its server.
  void expect_on(ServerId at, std::uint32_t id) const;
  // predicted_finish without the check (the world's own estimate, e.g. for digests).
  Time finish_estimate(std::uint32_t id, Time now, double work) const;
  // Integrates the device's hosting time and held memory up to `now`; called before either
  // changes, so that utilization is averaged over time rather than read at the end.
  void count_held(std::uint32_t device, Time now);

  const Scenario& scenario_;
  SimulationConfig config_;
  Strategy& strategy_;
  Time warmup_end_{};
  Time arrivals_end_{};
  std::vector<Demand> declared_;
  RunMetrics metrics_;
  EventQueue queue_;

  std::vector<SimDevice> devices_;
  std::vector<std::uint32_t> first_device_;            // per server
  std::vector<SimInstance> instances_;                 // by id, every instance the run made
  std::vector<std::uint32_t> live_;                    // the ids of the alive ones, ascending
  std::vector<std::vector<std::uint32_t>> serving_;    // per service
  std::vector<std::vector<std::uint32_t>> on_server_;  // per server, by service then id
  std::vector<SimServer> servers_;
  std::vector<SimRequest> requests_;
  std::vector<std::uint32_t> free_requests_;
  std::vector<Pass> passes_;
  std::vector<std::uint64_t> pass_sources_;  // modes_of's scratch: a pass's items' sources
  std::vector<std::uint32_t> free_passes_;
  std::vector<Source> sources_;
  std::vector<Stream> streams_;
  std::vector<TraceRow> trace_;
  std::vector<SyncMessage> messages_;  // in flight, by slot
  std::vector<ServerId> message_to_;
  std::vector<std::uint32_t> free_messages_;
  std::vector<std::vector<std::uint64_t>> arrivals_since_replan_;  // [service][origin]
  std::vector<std::vector<Time>> shrunk_;  // [service][server]: when an instance last stopped
  Time last_replan_{};
  double trace_mean_cost_ = 1.0;
  std::uint64_t live_requests_ = 0;
  Rng sync_rng_{};
  // A pass's factor on its time (pass_time_cv): log-normal of mean 1; drawn only when it varies,
  // so runs without variation draw exactly what they did before it existed.
  Rng pass_rng_{};
  std::lognormal_distribution<double> pass_factor_{};
};

}  // namespace epara::sim::detail
