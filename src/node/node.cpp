#include "node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <thread>
#include <tuple>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>

#include "epara/exec/plan_policy.hpp"
#include "epara/io/placement_json.hpp"
#include "epara/parallel/allocator.hpp"
#include "epara/parallel/replica_timing.hpp"
#include "epara/placement/periodic_replacement.hpp"
#include "epara/placement/scheduler.hpp"
#include "inference_service.hpp"
#include "peer_service.hpp"

// After every header that may include Eigen: with OpenSSL, httplib.h includes <resolv.h>,
// whose `_res` macro breaks Eigen's product kernels.
#include <httplib.h>

namespace epara::node {
namespace {

std::chrono::system_clock::time_point wall_deadline(Duration from_now) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(from_now);
}

// Batch policies from the allocator's plan for each service's declared demand.
std::map<ServiceId, exec::BatchPolicy> plan_policies(const Scenario& s, const Deployment& d) {
  const Allocator<> allocator;
  const auto loads = total_load(s.demand, s.services.size());
  std::map<ServiceId, exec::BatchPolicy> out;
  for (const ModelSpec& m : d.models) {
    exec::BatchPolicy p{m.max_batch, std::chrono::milliseconds(2)};
    const Load& load = loads[index_of(m.service)];
    if (load.rate.per_second > 0 || load.streams > 0) {
      const ServiceAllocation a = allocate_service(allocator, s, m.service, load);
      if (a.allocation.feasible()) p = exec::batch_policy(a.allocation.plan);
    }
    out.emplace(m.service, p);
  }
  return out;
}

constexpr const char* secret_header = "epara-peer-secret";

std::vector<std::string> model_names(const Scenario& s, const Deployment& d) {
  std::vector<std::string> names;
  for (const ModelSpec& m : d.models) names.push_back(s.service(m.service).name);
  return names;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    default:
      return "error";
  }
}

std::vector<ServerId> ring_of(const Deployment& d) {
  std::vector<ServerId> ring;
  for (const NodeAddress& n : d.nodes) ring.push_back(n.server);
  return ring;
}

std::uint32_t incarnation_now() {  // grows across restarts: newer entries outrank older ones
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

grpc::Status status_of(const exec::Result& r) {
  using exec::RejectReason;
  const std::string why = fmt::format("{}: {}", to_string(r.reason), r.detail);
  switch (r.reason) {
    case RejectReason::Expired:
    case RejectReason::WouldBeLate:
      return {grpc::StatusCode::DEADLINE_EXCEEDED, why};
    case RejectReason::QueueFull:
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, why};
    case RejectReason::Shutdown:
      return {grpc::StatusCode::UNAVAILABLE, why};
    case RejectReason::BadInput:
      return {grpc::StatusCode::INVALID_ARGUMENT, why};
    default:
      return {grpc::StatusCode::INTERNAL, why};
  }
}

// Peer RPCs: plaintext, or mutual TLS where each side proves a certificate of the shared CA.
std::shared_ptr<grpc::ServerCredentials> peer_server_credentials(const Deployment& d) {
  if (!d.peer_tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = d.peer_tls->ca;
  options.pem_key_cert_pairs.push_back({d.peer_tls->key, d.peer_tls->cert});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> peer_channel_credentials(const Deployment& d) {
  if (!d.peer_tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = d.peer_tls->ca;
  options.pem_private_key = d.peer_tls->key;
  options.pem_cert_chain = d.peer_tls->cert;
  return grpc::SslCredentials(options);
}

}  // namespace

Node::Node(Scenario scenario, Deployment deployment, ServerId self, std::ostream& log,
           LogLevel level)
    : scenario_(std::move(scenario)),
      deployment_(std::move(deployment)),
      self_(self),
      log_(log),
      log_level_(level),
      metrics_(model_names(scenario_, deployment_)),
      instances_(scenario_, deployment_, self, plan_policies(scenario_, deployment_), metrics_),
      handler_(self, HandlerOptions{deployment_.hop_limit, false}),
      sync_(self, ring_of(deployment_), incarnation_now(),
            SyncOptions{deployment_.sync_period, deployment_.sync_period, deployment_.entry_ttl}),
      view_(scenario_.cluster.network, scenario_.services.size()) {
  EPARA_EXPECTS(deployment_.node(self) != nullptr,
                fmt::format("server '{}' runs no node in the deployment",
                            scenario_.cluster.servers[index_of(self)].name));
  for (const ModelSpec& m : deployment_.models)
    entering_.emplace(m.service, std::make_unique<exec::RateMeter>(deployment_.placement_period));
  // Every node computes the same first placement from the same scenario: no coordination.
  std::set<ServerId> all;
  for (const NodeAddress& n : deployment_.nodes) all.insert(n.server);
  placed_live_ = all;
  apply_placement(0, compute_placement(all, scenario_.demand));
  inference_service_ = std::make_unique<InferenceService>(*this);
  peer_service_ = std::make_unique<PeerService>(*this);
}

Node::~Node() {
  shutdown();
  wait();
}

void Node::say(const std::string& line, LogLevel level) {
  if (level < log_level_) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::string stamp = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                                        fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
                                        static_cast<int>(ms.count() % 1000));
  std::lock_guard lock(log_mutex_);
  log_ << stamp << " " << level_name(level) << " ["
       << scenario_.cluster.servers[index_of(self_)].name << "] " << line << std::endl;
}

void Node::start(const std::string& listen, const std::string& peer_listen) {
  const NodeAddress& me = *deployment_.node(self_);
  const std::string& address = listen.empty() ? me.address : listen;
  const bool own_peer_port = !me.peer_address.empty();
  grpc::EnableDefaultHealthCheckService(true);  // grpc.health.v1: SERVING until shutdown
  grpc::ServerBuilder builder;
  // gRPC shares a port between servers by default (SO_REUSEPORT): a second node on a taken
  // address would start and split the first one's traffic instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(deployment_.max_message_bytes));
  builder.RegisterService(inference_service_.get());
  if (!own_peer_port) builder.RegisterService(peer_service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) throw Error(fmt::format("cannot listen on {}", address));
  peer_port_ = port_;
  if (own_peer_port) {
    const std::string& peer_address = peer_listen.empty() ? me.peer_address : peer_listen;
    grpc::ServerBuilder peers;
    peers.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    peers.AddListeningPort(peer_address, peer_server_credentials(deployment_), &peer_port_);
    peers.SetMaxReceiveMessageSize(static_cast<int>(deployment_.max_message_bytes));
    peers.RegisterService(peer_service_.get());
    peer_server_ = peers.BuildAndStart();
    if (!peer_server_ || peer_port_ == 0) {
      server_->Shutdown();
      server_->Wait();
      server_.reset();
      throw Error(fmt::format("cannot listen for peers on {}", peer_address));
    }
    say(fmt::format("peer RPCs on {}{}", peer_address,
                    deployment_.peer_tls ? " (mutual TLS)" : ""));
  }
  started_ = exec::now();
  sync_thread_ = std::thread([this] { sync_loop(); });
  scheduler_thread_ = std::thread([this] { scheduler_loop(); });
  say(fmt::format("listening on {}; models on the {}; {} services placed here", address,
                  instances_.on_gpu() ? "GPU (cuBLAS)" : "CPU (Eigen)",
                  std::count_if(deployment_.models.begin(), deployment_.models.end(),
                                [&](const ModelSpec& m) { return instances_.hosts(m.service); })));
  for (const ModelSpec& m : deployment_.models)
    say(fmt::format("{}: a pass of {} items takes {:.3f} ms here",
                    scenario_.service(m.service).name, instances_.batch_of(m.service),
                    to_ms(instances_.pass_estimate(m.service))));
}

void Node::wait() {
  if (server_) server_->Wait();
  if (peer_server_) peer_server_->Wait();
  for (std::thread* t : {&sync_thread_, &scheduler_thread_, &metrics_thread_})
    if (t->joinable()) t->join();
}

int Node::serve_metrics(const std::string& host, int port) {
  metrics_http_ = std::make_unique<httplib::Server>();
  metrics_http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  const int bound = port == 0 ? metrics_http_->bind_to_any_port(host)
                              : (metrics_http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) throw Error(fmt::format("cannot serve metrics on {}:{}", host, port));
  metrics_thread_ = std::thread([this] { metrics_http_->listen_after_bind(); });
  say(fmt::format("metrics at http://{}:{}/metrics", host, bound));
  return bound;
}

std::string Node::metrics_text() {
  const Time now = exec::now();
  std::vector<GaugeSample> gauges;
  for (const ModelSpec& m : deployment_.models) {
    const std::string model = "model=" + label_value(scenario_.service(m.service).name);
    gauges.push_back({"epara_queue_depth", "Items queued for the model's instances here.", model,
                      static_cast<double>(instances_.queued(m.service))});
    gauges.push_back({"epara_instances", "Instances of the model running here.", model,
                      static_cast<double>(instances_.replicas(m.service))});
    gauges.push_back({"epara_entering_per_second",
                      "Client requests entering here per second, over the placement period.", model,
                      entering_.at(m.service)->rate(now)});
  }
  {
    std::lock_guard lock(state_mutex_);
    for (const NodeAddress& n : deployment_.nodes)
      if (const auto age = sync_.age_of(n.server, now))
        gauges.push_back({"epara_sync_age_seconds",
                          "Age of the ring state held for each node (absent: expired).",
                          "node=" + label_value(scenario_.cluster.servers[index_of(n.server)].name),
                          to_seconds(*age)});
  }
  for (const auto& [device, busy] : device_busy())
    gauges.push_back({"epara_device_busy_seconds_total",
                      "Time passes have held each device of this server (they take turns).",
                      "device=" + label_value(device), to_seconds(busy), true});
  const std::uint64_t epoch = placement_epoch_.load();
  gauges.push_back({"epara_placement_epoch", "The placement applied here.", "",
                    epoch == no_placement ? -1.0 : static_cast<double>(epoch)});
  gauges.push_back({"epara_live_nodes", "Nodes this node holds live ring state of.", "",
                    static_cast<double>(live_servers(now).size())});
  return metrics_.render(gauges);
}

void Node::shutdown() {
  if (stopping_.exchange(true)) return;
  stop_cv_.notify_all();
  if (metrics_http_) metrics_http_->stop();
  const Time drain_end = exec::now() + deployment_.drain_timeout;
  if (server_) {
    say("draining");
    if (auto* health = server_->GetHealthCheckService()) health->Shutdown();  // NOT_SERVING
    // A model that never returns must not hold the drain: at its end the executors answer
    // what they still hold, so that the calls waiting on them return and Shutdown can.
    std::promise<void> drained;
    std::thread cut_off([this, done = drained.get_future(), drain_end] {
      if (done.wait_until(drain_end) == std::future_status::timeout) stop_executors(drain_end);
    });
    const auto drained_by = wall_deadline(deployment_.drain_timeout);
    server_->Shutdown(drained_by);  // in-flight calls finish
    if (peer_server_) peer_server_->Shutdown(drained_by);
    drained.set_value();
    cut_off.join();
  }
  stop_executors(drain_end);
}

void Node::stop_executors(Time deadline) {
  if (!instances_.shutdown(deadline))
    say("a model had not returned when the drain ended: its executor is left running");
}

bool Node::hosts_anywhere(ServiceId service) {
  if (instances_.hosts(service)) return true;
  std::lock_guard lock(state_mutex_);
  return !view_.peers_hosting(service).empty();
}

std::vector<std::string> Node::placed_on(ServiceId service) {
  std::set<ServerId> hosts;
  {
    std::lock_guard lock(state_mutex_);
    for (const LoadedInstance& li : placed_)
      if (li.service == service) hosts.insert(li.server);
  }
  std::vector<std::string> names;
  names.reserve(hosts.size());
  for (ServerId s : hosts) names.push_back(scenario_.cluster.servers[index_of(s)].name);
  return names;
}

grpc::Status Node::serve(ServiceId service, Items items, Time deadline, Route route, Served& out,
                         std::uint64_t stream) {
  Request r;
  r.service = service;
  r.arrival = exec::now();
  r.deadline = deadline;
  std::size_t payload = 0;
  for (const auto& item : items)
    for (const exec::Tensor& t : item) payload += t.bytes().size();
  r.payload = Bytes{static_cast<std::int64_t>(payload)};
  r.route = route;
  if (route.count == 0) entering_.at(service)->add(r.arrival, items.size());  // from a client
  if (stream == 0) stream = new_stream();  // a lone request: its items wait for no one else's
  Decision decision;
  {
    std::lock_guard lock(state_mutex_);
    decision = handler_.decide(r, r.arrival, instances_, view_);
  }
  out.hops = r.route.hops();
  if (std::holds_alternative<RunLocal>(decision))
    return run_here(service, std::move(items), deadline, stream, out);
  if (const auto* o = std::get_if<Offload>(&decision)) {
    grpc::Status s = offload(o->server, service, items, deadline, r.route, stream, out);
    if (s.ok() || !instances_.hosts(service)) return s;
    return run_here(service, std::move(items), deadline, stream, out);  // the peer failed: here
  }
  const std::string& name = scenario_.service(service).name;
  switch (std::get<Reject>(decision).reason) {
    case RejectReason::NoInstance:
      return {grpc::StatusCode::UNAVAILABLE, fmt::format("no live node hosts '{}'", name)};
    case RejectReason::HopLimit:
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              fmt::format("'{}': hop limit reached and no instance here", name)};
    default:
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              fmt::format("overloaded: no node can finish '{}' by its deadline", name)};
  }
}

grpc::Status Node::run_here(ServiceId service, Items items, Time deadline, std::uint64_t stream,
                            Served& out) {
  auto futures = instances_.submit(service, std::move(items), deadline, stream);
  if (futures.empty())
    return {grpc::StatusCode::UNAVAILABLE,
            fmt::format("'{}' is no longer placed here", scenario_.service(service).name)};
  out.outputs.clear();
  out.served_by = self_;
  grpc::Status status = grpc::Status::OK;
  for (auto& f : futures) {  // every future is awaited: no item is left behind
    exec::Result result = f.get();
    if (result.outcome == exec::Outcome::Rejected) {
      if (status.ok()) status = status_of(result);
      continue;
    }
    out.late = out.late || result.outcome == exec::Outcome::Late;
    out.outputs.push_back(std::move(result.outputs));
  }
  return status;
}

epara::peer::Peer::Stub& Node::peer(ServerId server) {
  std::lock_guard lock(peers_mutex_);
  auto& stub = peers_[server];
  if (!stub) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(deployment_.max_message_bytes));
    args.SetMaxSendMessageSize(static_cast<int>(deployment_.max_message_bytes));
    stub = epara::peer::Peer::NewStub(grpc::CreateCustomChannel(
        deployment_.node(server)->peer_endpoint(), peer_channel_credentials(deployment_), args));
  }
  return *stub;
}

std::unique_ptr<grpc::ClientContext> Node::peer_context(Duration timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(wall_deadline(timeout));
  if (!deployment_.peer_secret.empty())
    context->AddMetadata(secret_header, deployment_.peer_secret);
  return context;
}

bool Node::authentic(const grpc::ServerContext& context) const {
  if (deployment_.peer_secret.empty()) return true;
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find(secret_header);
  if (found == metadata.end()) return false;
  const std::string_view given(found->second.data(), found->second.size());
  const std::string& secret = deployment_.peer_secret;
  // Compared in time independent of where they differ: the time taken tells no prefix.
  unsigned char differ = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i)
    differ |= static_cast<unsigned char>(secret[i] ^ (i < given.size() ? given[i] : '\0'));
  return differ == 0;
}

grpc::Status Node::offload(ServerId target, ServiceId service, const Items& items, Time deadline,
                           const Route& route, std::uint64_t stream, Served& out) {
  epara::peer::OffloadRequest request;
  request.set_service(scenario_.service(service).name);
  request.set_stream(stream);
  to_peer(items, *request.mutable_items());
  const Duration left = deadline - exec::now();
  request.set_deadline_left_ns(left.count());
  for (std::uint8_t i = 0; i < route.count; ++i)
    request.add_route(static_cast<std::uint32_t>(index_of(route.servers[i])));
  const auto context = peer_context(std::max(left, Duration::zero()) + std::chrono::seconds(1));
  epara::peer::OffloadReply reply;
  grpc::Status s = peer(target).Offload(context.get(), request, &reply);
  metrics_.offload(scenario_.service(service).name, true, s.ok());
  if (!s.ok()) {
    bool first = false;  // said once per failing peer, not once per request
    {
      std::lock_guard lock(peers_mutex_);
      first = failing_peers_.insert(target).second;
    }
    if (first)
      say(fmt::format("offload to {} failed: {}", scenario_.cluster.servers[index_of(target)].name,
                      s.error_message()),
          LogLevel::Warn);
    return s;
  }
  {
    std::lock_guard lock(peers_mutex_);
    failing_peers_.erase(target);
  }
  out.outputs.clear();
  if (grpc::Status bad = from_peer(reply.outputs(), out.outputs); !bad.ok()) return bad;
  out.served_by = id_at<ServerId>(reply.served_by());
  out.hops = static_cast<int>(reply.hops());
  out.late = reply.late();
  return s;
}

void Node::sync_loop() {
  std::unique_lock stop_lock(stop_mutex_);
  while (!stopping_) {
    stop_lock.unlock();
    const Time now = exec::now();
    std::optional<Outgoing> out;
    {
      std::lock_guard lock(state_mutex_);
      sync_.refresh({self_, 0, Bytes{}, instances_.digests(), entering_demand(now)}, now);
      out = sync_.tick(now);
      view_.rebuild(sync_, now);
    }
    if (out) {
      const std::vector<std::uint8_t> bytes = encode(out->message);
      epara::peer::SyncRequest request;
      request.set_message(bytes.data(), bytes.size());
      const auto context = peer_context(4 * deployment_.sync_period);
      epara::peer::SyncReply reply;
      if (peer(out->to).Sync(context.get(), request, &reply).ok()) {
        std::lock_guard lock(state_mutex_);
        sync_.acknowledge({id_at<ServerId>(reply.from()), reply.sequence()}, exec::now());
      }
    }
    stop_lock.lock();
    stop_cv_.wait_for(stop_lock, deployment_.sync_period, [&] { return stopping_.load(); });
  }
}

SyncAck Node::receive_sync(const SyncMessage& message) {
  std::lock_guard lock(state_mutex_);
  const Time now = exec::now();
  const SyncAck ack = sync_.receive(message, now);
  view_.rebuild(sync_, now);
  return ack;
}

std::set<ServerId> Node::live_servers(Time now) {
  std::lock_guard lock(state_mutex_);
  std::set<ServerId> live{self_};
  for (const NodeAddress& n : deployment_.nodes)
    if (sync_.entry(n.server, now) != nullptr) live.insert(n.server);
  return live;
}

std::vector<DemandDigest> Node::entering_demand(Time now) const {
  std::vector<DemandDigest> out;
  for (const auto& [service, meter] : entering_)
    if (const double rate = meter->rate(now); rate > 0)
      out.push_back({service, static_cast<float>(rate)});
  return out;
}

std::vector<Demand> Node::demand_to_place(const std::set<ServerId>& live, Time now) {
  std::vector<Demand> observed;
  {
    std::lock_guard lock(state_mutex_);
    for (ServerId server : live)
      if (const auto* e = sync_.entry(server, now))
        for (const DemandDigest& d : e->digest->demand)
          if (deployment_.model(d.service) && std::isfinite(d.rate) && d.rate > 0)
            observed.push_back(
                demand_measured(d.service, server, scenario_.service(d.service).slo, d.rate));
  }
  std::vector<Demand> demand = planned_demand_.add(std::move(observed));
  // The declared demand stands for what no client has sent yet: a cloud starting up, or
  // between bursts, keeps capacity where the operator expects traffic.
  std::set<ServiceId> seen;
  for (const Demand& d : demand) seen.insert(d.service);
  for (const Demand& d : scenario_.demand)
    if (!seen.count(d.service)) demand.push_back(d);
  return demand;
}

void Node::scheduler_loop() {
  Time last_run = exec::now();
  std::unique_lock stop_lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(stop_lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
    if (stopping_) break;
    stop_lock.unlock();
    const Time now = exec::now();
    const std::set<ServerId> live = live_servers(now);
    const bool configured = deployment_.scheduler && live.count(*deployment_.scheduler);
    const ServerId scheduler = configured ? *deployment_.scheduler : *live.begin();
    bool due = false;
    {
      std::lock_guard lock(state_mutex_);
      due = scheduler == self_ && now - started_ >= 2 * deployment_.entry_ttl &&
            (now - last_run >= deployment_.placement_period || live != placed_live_);
    }
    if (due) {
      last_run = now;
      const std::vector<Demand> demand = demand_to_place(live, now);
      const std::string placement = compute_placement(live, demand);
      std::uint64_t epoch = 0;
      {
        std::lock_guard lock(state_mutex_);
        epoch = newest_epoch_seen_ + 1;
        placed_live_ = live;
      }
      apply_placement(epoch, placement);
      for (ServerId s : live) {
        if (s == self_) continue;
        epara::peer::PlacementRequest request;
        request.set_epoch(epoch);
        request.set_from(static_cast<std::uint32_t>(index_of(self_)));
        request.set_placement_json(placement);
        const auto context = peer_context(std::chrono::seconds(1));
        epara::peer::PlacementReply reply;
        // A lost node drops out of live. A node that holds a newer epoch (a scheduler before a
        // partition healed, or a bad push) says so: the next placement goes above it.
        if (peer(s).PushPlacement(context.get(), request, &reply).ok() &&
            reply.applied_epoch() < epoch_limit) {
          std::lock_guard lock(state_mutex_);
          newest_epoch_seen_ = std::max(newest_epoch_seen_, reply.applied_epoch());
        }
      }
      std::vector<std::string> names, planned;
      for (ServerId s : live) names.push_back(scenario_.cluster.servers[index_of(s)].name);
      for (const Demand& d : demand)
        if (live.count(d.origin))
          planned.push_back(fmt::format("{} {:.0f}/s at {}", scenario_.service(d.service).name,
                                        d.items(scenario_.service(d.service).slo).per_second,
                                        scenario_.cluster.servers[index_of(d.origin)].name));
      say(fmt::format("placement epoch {} for {} live nodes ({}); demand: {}", epoch, live.size(),
                      fmt::join(names, ", "), fmt::join(planned, ", ")));
    }
    stop_lock.lock();
  }
}

std::string Node::compute_placement(const std::set<ServerId>& live,
                                    const std::vector<Demand>& demand) {
  Scenario reachable = scenario_;  // servers without a live node hold no devices
  for (std::size_t i = 0; i < reachable.cluster.servers.size(); ++i)
    if (!live.count(id_at<ServerId>(i))) {
      reachable.cluster.servers[i].gpus.clear();
      reachable.cluster.servers[i].cpu.reset();
    }
  std::vector<Demand> at_live;  // a dead origin's clients come back through a live node
  for (const Demand& d : demand)
    if (live.count(d.origin)) at_live.push_back(d);
  std::vector<LoadedInstance> loaded;
  {
    std::lock_guard lock(state_mutex_);
    for (const LoadedInstance& li : placed_)
      if (live.count(li.server)) loaded.push_back(li);
  }
  // As the simulator's EPARA places: plans with headroom, a load that must pay for itself
  // once something runs, and instances nothing new wants kept.
  SchedulerOptions options;
  options.headroom = planned_headroom;
  if (!loaded.empty()) options.load_penalty = replacement_load_penalty;
  const Placement placement = schedule(reachable, at_live, loaded, options);
  std::vector<LoadedInstance> instances;
  for (const PlacedInstance& i : placement.instances)
    instances.push_back({i.service, i.server, i.devices});
  for (LoadedInstance& kept : kept_idle<LoadedInstance>(loaded, instances))
    instances.push_back(std::move(kept));
  // Each placed instance carries its plan's batching, which the node hosting it runs (as the
  // simulator runs the plan of each instance it places); kept idle instances carry none.
  auto doc = nlohmann::json::parse(io::loaded_instances_to_json(instances, reachable));
  for (std::size_t i = 0; i < placement.instances.size(); ++i) {
    const Plan& plan = placement.types[placement.instances[i].type].plan;
    const exec::BatchPolicy policy = exec::batch_policy(plan);
    doc["instances"][i]["max_batch"] = policy.max_batch;
    doc["instances"][i]["batch_timeout_ms"] = to_ms(policy.timeout);
  }
  return doc.dump();
}

std::map<ServiceId, exec::BatchPolicy> Node::planned_batching(
    const std::string& placement_json) const {
  std::map<ServiceId, exec::BatchPolicy> planned;
  const auto doc = nlohmann::json::parse(placement_json);
  const auto& instances = doc.at("instances");
  for (const auto& entry : instances) {
    // Names, devices and batching were checked by parse_loaded_instances, which read this
    // text first.
    const ServerId server = *scenario_.cluster.find_server(entry.at("server").get<std::string>());
    if (server != self_ || !entry.contains("max_batch")) continue;  // both or neither
    const ServiceId service = *scenario_.find_service(entry.at("service").get<std::string>());
    exec::BatchPolicy p;
    p.max_batch = entry["max_batch"].get<std::size_t>();
    p.timeout = from_ms(entry["batch_timeout_ms"].get<double>());
    // Instances of one service here share one queue: it runs the largest of their batches.
    const auto [it, added] = planned.emplace(service, p);
    if (!added && p.max_batch > it->second.max_batch) it->second = p;
  }
  return planned;
}

std::map<std::string, Duration> Node::device_busy() const {
  std::map<std::string, Duration> busy;
  for (const auto& [slot, took] : instances_.device_busy())
    busy[slot == cpu_slot ? std::string("cpu") : fmt::format("gpu{}", slot)] = took;
  return busy;
}

void Node::check_memory(const std::map<ServiceId, LocalInstances::InstanceDevices>& here) const {
  const ServerSpec& server = scenario_.cluster.server(self_);
  std::map<DeviceSlot, Bytes> need;
  std::map<DeviceSlot, std::vector<std::string>> who;
  for (const auto& [service, instances] : here)
    for (const std::vector<DeviceSlot>& devices : instances)
      for (DeviceSlot d : devices) {  // what the allocator plans per device of a k-device replica
        need[d] += memory_per_device(scenario_.service(service), static_cast<int>(devices.size()));
        who[d].push_back(scenario_.service(service).name);
      }
  for (const auto& [device, bytes] : need) {
    const DeviceClassId cls =
        device == cpu_slot ? *server.cpu : server.gpus[static_cast<std::size_t>(device)];
    const Bytes has = scenario_.cluster.device_class(cls).memory;
    EPARA_EXPECTS(
        bytes <= has,
        fmt::format("{} need {:.2f} GiB on {} of '{}', which has {:.2f} GiB",
                    fmt::join(who[device], " + "), bytes.as_gib(),
                    device == cpu_slot ? std::string("the CPU") : fmt::format("GPU {}", device),
                    server.name, has.as_gib()));
  }
}

bool Node::apply_placement(std::uint64_t epoch, const std::string& placement_json) {
  std::lock_guard apply_lock(apply_mutex_);
  EPARA_EXPECTS(epoch < epoch_limit, fmt::format("epoch {} is beyond 2^62", epoch));
  std::vector<LoadedInstance> placed =
      io::parse_loaded_instances(placement_json, "placement", scenario_);
  std::set<std::tuple<ServiceId, ServerId, DeviceSlot>> used;  // no scheduler places these
  for (const LoadedInstance& li : placed)
    for (DeviceSlot d : li.devices)
      EPARA_EXPECTS(used.insert({li.service, li.server, d}).second,
                    fmt::format("'{}' is placed twice on a device of '{}'",
                                scenario_.service(li.service).name,
                                scenario_.cluster.servers[index_of(li.server)].name));
  std::map<ServiceId, LocalInstances::InstanceDevices> here;
  for (const LoadedInstance& li : placed)
    if (li.server == self_) here[li.service].push_back(li.devices);
  for (auto& [service, devices] : here) std::sort(devices.begin(), devices.end());
  check_memory(here);
  const std::map<ServiceId, exec::BatchPolicy> batching = planned_batching(placement_json);
  {
    std::lock_guard lock(state_mutex_);
    const std::uint64_t applied = placement_epoch_.load();
    if (applied != no_placement && epoch <= applied) return false;
    newest_epoch_seen_ = std::max(newest_epoch_seen_, epoch);
    placed_ = std::move(placed);
    placement_epoch_ = epoch;
  }
  std::vector<std::string> changes;
  for (const LocalInstances::Change& c : instances_.apply(here, batching)) {
    const std::string& name = scenario_.service(c.service).name;
    changes.push_back(fmt::format("{} {} -> {}", name, c.before, c.after));
    metrics_.instances(name, c.after - c.before, c.before - c.after);
  }
  if (epoch != 0 && !changes.empty())
    say(fmt::format("epoch {}: instances here {}", epoch, fmt::join(changes, ", ")));
  return true;
}

}  // namespace epara::node
