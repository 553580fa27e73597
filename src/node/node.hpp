#pragma once
// epara-node: one edge server of a real edge cloud. It serves the Open Inference Protocol to
// clients, runs requests on its executors or offloads them to peers (RequestHandler decides),
// passes state digests around the ring (RingSync), and applies placements — computed by
// whichever live node is the scheduler (schedule()). Thread-safe; start() then wait().

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "epara/deployment.hpp"
#include "epara/exec/rate_meter.hpp"
#include "epara/handler/request_handler.hpp"
#include "epara/handler/synced_view.hpp"
#include "epara/model/scenario.hpp"
#include "epara/peer.grpc.pb.h"
#include "epara/placement/ground_set.hpp"
#include "epara/placement/peak_demand.hpp"
#include "epara/sync/ring_sync.hpp"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "local_instances.hpp"
#include "metrics.hpp"

namespace httplib {
class Server;
}

namespace epara::node {

/// What a node says in its log, from the most to the least detail.
enum class LogLevel { Debug, Info, Warn, Error };

/// What a request came to: each item's outputs, who served it, after how many hops.
struct Served {
  Items outputs;
  ServerId served_by{};
  int hops = 0;
  bool late = false;
};

class Node {
 public:
  /// `log`: where the node says what it does (placements, peers lost), one timestamped line
  /// per event at `level` or above; must outlive the node.
  Node(Scenario scenario, Deployment deployment, ServerId self, std::ostream& log,
       LogLevel level = LogLevel::Info);
  ~Node();

  /// Binds the node's address (or `listen`, e.g. "0.0.0.0:50051", when given: peers still
  /// reach it at the deployment's address) and, when the deployment gives it a peer address,
  /// that one (or `peer_listen`) for the peer RPCs alone; starts serving. Throws epara::Error
  /// if it cannot bind.
  void start(const std::string& listen = {}, const std::string& peer_listen = {});
  /// Serves GET /metrics (Prometheus text format) over HTTP on `host`:`port` (0: any free
  /// port); the port bound. Throws epara::Error if it cannot bind. Call after start().
  int serve_metrics(const std::string& host, int port);
  /// What /metrics returns now.
  std::string metrics_text();
  /// Per device of this server ("gpu0", "gpu1", ..., "cpu"), the time passes have held it.
  std::map<std::string, Duration> device_busy() const;
  /// Blocks until shutdown() completes.
  void wait();
  /// Stops accepting, lets in-flight requests finish (up to the drain timeout: then what a
  /// model still holds is rejected, UNAVAILABLE), stops threads.
  void shutdown();

  /// Runs or offloads `items` rows of `service` (what ModelInfer and Offload both do). `stream`:
  /// the client stream they belong to (new_stream(); a multi-frame service batches a stream's
  /// items together, wherever they run), 0 for a request of its own (numbered here).
  grpc::Status serve(ServiceId service, Items items, Time deadline, Route route, Served& out,
                     std::uint64_t stream = 0);
  /// An id for a client stream entering here, unique in the cloud (never 0): the entering
  /// node's index above bit 40, a count below.
  std::uint64_t new_stream() noexcept {
    return (std::uint64_t{index_of(self_)} << 40) | next_stream_++;
  }

  const Scenario& scenario() const noexcept { return scenario_; }
  const Deployment& deployment() const noexcept { return deployment_; }
  NodeMetrics& metrics() noexcept { return metrics_; }
  ServerId self() const noexcept { return self_; }
  int port() const noexcept { return port_; }  ///< the port bound (an address ":0" picks one)
  int peer_port() const noexcept { return peer_port_; }  ///< where peer RPCs are served
  bool ready() const noexcept { return placement_epoch_.load() != no_placement; }
  bool hosts_anywhere(ServiceId service);
  /// The nodes the applied placement runs `service` on, by name.
  std::vector<std::string> placed_on(ServiceId service);
  /// The service called `name` if this cloud runs a model for it.
  std::optional<ServiceId> model_named(std::string_view name) const {
    const auto service = scenario_.find_service(name);
    if (!service || !deployment_.model(*service)) return std::nullopt;
    return service;
  }
  /// Merges a ring-sync message from the predecessor; the acknowledgement to send back.
  SyncAck receive_sync(const SyncMessage& message);
  /// Applies a placement (JSON, as placement_to_json writes it) if `epoch` is newer than the
  /// applied one; false when it is not.
  bool apply_placement(std::uint64_t epoch, const std::string& placement_json);
  std::uint64_t placement_epoch() const noexcept { return placement_epoch_.load(); }

 private:
  class InferenceService;
  class PeerService;
  static constexpr std::uint64_t no_placement = ~std::uint64_t{0};
  /// Epochs at or above this are refused: far beyond what a scheduler counts to, and far from
  /// no_placement.
  static constexpr std::uint64_t epoch_limit = std::uint64_t{1} << 62;

  /// Throws epara::Error naming the device when the instances placed here need more memory on
  /// one of its devices than it has (an instance of k devices takes 1/k of its model on each).
  void check_memory(const std::map<ServiceId, LocalInstances::InstanceDevices>& here) const;
  void sync_loop();
  void scheduler_loop();
  /// The nodes whose state has not expired: a node leaves after entry_ttl of silence (several
  /// periods), not after one late acknowledgement.
  std::set<ServerId> live_servers(Time now);
  /// Per service, the demand entering here from clients (items/s over the placement period).
  std::vector<DemandDigest> entering_demand(Time now) const;
  /// What the next placement plans for: the peak of the last periods' demand observed at the
  /// live nodes; a service no client has sent to in them keeps its declared demand.
  std::vector<Demand> demand_to_place(const std::set<ServerId>& live, Time now);
  /// The placement for `demand` on the live nodes, from what they run now (as JSON instances).
  std::string compute_placement(const std::set<ServerId>& live, const std::vector<Demand>& demand);
  /// The batching the placement plans for each service's instances here (its instances'
  /// "max_batch", "batch_timeout_ms"); none for services whose instances carry none.
  std::map<ServiceId, exec::BatchPolicy> planned_batching(const std::string& placement_json) const;
  epara::peer::Peer::Stub& peer(ServerId server);
  /// A context for a call to a peer: its deadline, and the shared secret when there is one.
  std::unique_ptr<grpc::ClientContext> peer_context(Duration timeout) const;
  /// Whether a peer call came with the deployment's secret (any call does when it has none).
  bool authentic(const grpc::ServerContext& context) const;
  grpc::Status offload(ServerId target, ServiceId service, const Items& items, Time deadline,
                       const Route& route, std::uint64_t stream, Served& out);
  grpc::Status run_here(ServiceId service, Items items, Time deadline, std::uint64_t stream,
                        Served& out);
  void say(const std::string& line, LogLevel level = LogLevel::Info);
  /// The executors finish what they hold by `deadline` at most (shutdown()).
  void stop_executors(Time deadline);

  const Scenario scenario_;
  const Deployment deployment_;
  const ServerId self_;
  std::ostream& log_;
  const LogLevel log_level_;
  std::mutex log_mutex_;
  NodeMetrics metrics_;
  LocalInstances instances_;
  std::map<ServiceId, std::unique_ptr<exec::RateMeter>> entering_;  // per served service
  const RequestHandler handler_;

  std::mutex apply_mutex_;  // one placement applied at a time, in epoch order
  std::mutex state_mutex_;  // guards sync_, view_ and the placement state below
  RingSync sync_;
  SyncedView view_;
  std::vector<LoadedInstance> placed_;  // the applied placement's instances
  std::set<ServerId> placed_live_;      // the live set it was computed for
  PeakDemand planned_demand_;           // the scheduler thread's
  std::atomic<std::uint64_t> placement_epoch_{no_placement};
  std::atomic<std::uint64_t> next_stream_{1};
  std::uint64_t newest_epoch_seen_ = 0;

  std::mutex peers_mutex_;
  std::map<ServerId, std::unique_ptr<epara::peer::Peer::Stub>> peers_;
  std::set<ServerId> failing_peers_;

  std::unique_ptr<InferenceService> inference_service_;
  std::unique_ptr<PeerService> peer_service_;
  std::unique_ptr<grpc::Server> server_;       // clients (and peers, without a peer address)
  std::unique_ptr<grpc::Server> peer_server_;  // peers, on their own port
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::thread sync_thread_, scheduler_thread_;
  std::unique_ptr<httplib::Server> metrics_http_;
  std::thread metrics_thread_;
  Time started_{};
  int port_ = 0, peer_port_ = 0;
};

}  // namespace epara::node
