// An edge cloud served in one process, wired the way an embedder wires libepara into a server:
//
//   scenario --schedule()--> placement --> on each server, one executor per placed service,
//   running that service's TorchScript model from a model repository --> per request,
//   RequestHandler::decide(): run here, offload to the peer its ring-synced view shows best, or
//   reject with the reason.
//
// Client threads send Poisson requests at the scenario's demand (times LOAD) to their origin
// server; a sync
// thread passes every server's digest around the ring each period. The servers share this
// process, so an offload is a function call; a real server sends it over the network instead
// (epara-node does). Copy this file and replace what a real deployment does differently.
// Exits 0 when every request ended in exactly one outcome and every service had some answered
// in its SLO.
//
//   usage: embedded_server SCENARIO.json REPOSITORY [SECONDS [LOAD]]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <epara/epara.hpp>
#include <epara/exec/data_parallel_executor.hpp>
#include <epara/exec/plan_policy.hpp>
#include <epara/exec/random_inputs.hpp>
#include <epara/handler/request_handler.hpp>
#include <epara/handler/synced_view.hpp>
#include <epara/io/model_repository.hpp>
#include <epara/io/scenario_json.hpp>
#include <epara/placement/periodic_replacement.hpp>
#include <epara/placement/scheduler.hpp>
#include <epara/sync/ring_sync.hpp>
#include <epara/torchscript/script_model.hpp>

using namespace epara;
using Executor = exec::DataParallelExecutor<torchscript::ScriptModel>;

// What became of the requests of one service: each request ends in exactly one of these.
struct Tally {
  std::uint64_t offered = 0, in_slo = 0, late = 0, rejected = 0, offloaded = 0;
  std::vector<double> latency_ms;  // of the answered ones
};

class Ledger {
 public:
  explicit Ledger(std::size_t services) : by_service_(services) {}
  void offered(ServiceId s) {
    with(s, [](Tally& t) { ++t.offered; });
  }
  // `r`'s outcome (in SLO, late, rejected) is the executor's, against the request's deadline.
  void answered(ServiceId s, const exec::Result& r, Duration latency, int hops) {
    with(s, [&](Tally& t) {
      if (r.outcome == exec::Outcome::Rejected) {
        ++t.rejected;
        return;
      }
      ++(r.outcome == exec::Outcome::Late ? t.late : t.in_slo);
      t.offloaded += hops > 0;
      t.latency_ms.push_back(to_ms(latency));
    });
  }
  void rejected(ServiceId s) {
    with(s, [](Tally& t) { ++t.rejected; });
  }
  std::vector<Tally> take() {
    std::lock_guard lock(mutex_);
    return by_service_;
  }

 private:
  template <class F>
  void with(ServiceId s, F&& f) {
    std::lock_guard lock(mutex_);
    f(by_service_[index_of(s)]);
  }
  std::mutex mutex_;
  std::vector<Tally> by_service_;
};

// One edge server: its executors, its ring-sync state and view of the peers, its handler.
class EdgeServer {
 public:
  EdgeServer(ServerId self, const Scenario& scenario, std::vector<ServerId> ring, Ledger& ledger)
      : self_(self),
        ledger_(&ledger),
        sync_(self, std::move(ring)),
        view_(scenario.cluster.network, scenario.services.size()),
        handler_(self) {}

  // Runs `replicas` instances of `model` for `service` here, batching as the placement's plan
  // says (the plan's predicted pass is what the handler and the peers plan with).
  void host(ServiceId service, const io::RepositoryModel& model, int replicas, const Plan& plan) {
    std::vector<torchscript::ScriptModel> models;
    for (int i = 0; i < replicas; ++i)
      models.emplace_back(model.file, model.inputs, model.outputs, model.max_batch);
    const exec::BatchPolicy policy = exec::batch_policy(plan);
    hosted_.emplace(service,
                    Hosted{std::make_unique<Executor>(std::move(models), policy), plan.pass_latency,
                           policy.max_batch, plan.capacity.per_second / plan.replicas * replicas});
  }

  // LocalView: the finish time a new item of `service` would have here — the full passes
  // queued ahead of it, then its own.
  std::optional<LocalOption> best_local(ServiceId service, Time now) const {
    const auto it = hosted_.find(service);
    if (it == hosted_.end()) return std::nullopt;
    const Hosted& h = it->second;
    const auto passes_ahead = h.executor->queued() / (h.max_batch * h.executor->replicas());
    return LocalOption{0, now + h.pass * static_cast<std::int64_t>(passes_ahead + 1), h.capacity};
  }

  // A request at this server, whether from a client or offloaded by a peer (`peers` indexed by
  // server id). Decides under the server's lock: the view is shared by every client thread.
  void handle(Request r, std::vector<exec::Tensor> inputs,
              const std::vector<std::unique_ptr<EdgeServer>>& peers) {
    Decision decision;
    {
      std::lock_guard lock(mutex_);
      decision = handler_.decide(r, exec::now(), *this, view_);
    }
    if (const auto* offload = std::get_if<Offload>(&decision)) {
      peers[index_of(offload->server)]->handle(r, std::move(inputs), peers);
      return;
    }
    if (std::holds_alternative<Reject>(decision)) {
      ledger_->rejected(r.service);
      return;
    }
    const int hops = r.route.hops();
    hosted_.at(r.service).executor->submit(
        {std::move(inputs), r.deadline}, [this, r, hops](const exec::Result& result) {
          ledger_->answered(r.service, result, exec::now() - r.arrival, hops);
        });
  }

  // One ring-sync period: publish this server's digest; the message to send on, if any.
  std::optional<Outgoing> sync_tick(Time now) {
    ServerDigest own{self_, 0, Bytes{}, {}, {}};
    for (const auto& [service, h] : hosted_) {
      const auto local = best_local(service, now);
      // A queued item takes its share of a full pass on one of the replicas.
      const auto share = static_cast<std::int64_t>(h.max_batch) * h.executor->replicas();
      own.instances.push_back({service, local->finish - now - h.pass, h.pass, h.pass / share,
                               static_cast<float>(h.capacity)});
    }
    std::lock_guard lock(mutex_);
    sync_.refresh(std::move(own), now);
    return sync_.tick(now);
  }
  SyncAck sync_receive(const SyncMessage& message, Time now) {
    std::lock_guard lock(mutex_);
    const SyncAck ack = sync_.receive(message, now);
    view_.rebuild(sync_, now);
    return ack;
  }
  void sync_acknowledge(const SyncAck& ack, Time now) {
    std::lock_guard lock(mutex_);
    sync_.acknowledge(ack, now);
  }

  // Finishes what the executors hold; every callback has run when this returns.
  void drain() {
    for (auto& [service, h] : hosted_) h.executor->shutdown();
  }

 private:
  struct Hosted {
    std::unique_ptr<Executor> executor;
    Duration pass;
    std::size_t max_batch;
    // Items per second, as planned: reported as the spare rate, which the handler reads only to
    // assign streams (this example sends none); a server admitting streams would subtract the
    // rate it already carries.
    double capacity;
  };
  const ServerId self_;
  Ledger* ledger_;
  std::map<ServiceId, Hosted> hosted_;  // set before the first request, then only read
  std::mutex mutex_;                    // guards sync_ and view_
  RingSync sync_;
  SyncedView view_;
  const RequestHandler handler_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

int run(const std::string& scenario_file, const std::string& repository, double seconds,
        double load) {
  const Scenario scenario = io::load_scenario(scenario_file);
  std::map<std::string, io::RepositoryModel> model_of;  // by the service it serves
  for (io::RepositoryModel& m : io::read_model_repository(repository))
    model_of.emplace(m.service, std::move(m));

  // Placement: the state-aware scheduler on the declared demand, with the headroom epara-node
  // and the simulator plan with. A real server re-places every period from observed demand.
  SchedulerOptions options;
  options.headroom = planned_headroom;
  const Placement placement = schedule(scenario, scenario.demand, {}, options);

  std::vector<ServerId> ring;
  for (std::size_t i = 0; i < scenario.cluster.servers.size(); ++i)
    ring.push_back(id_at<ServerId>(i));
  Ledger ledger(scenario.services.size());
  std::vector<std::unique_ptr<EdgeServer>> servers;
  for (ServerId s : ring)
    servers.push_back(std::make_unique<EdgeServer>(s, scenario, ring, ledger));

  std::map<std::pair<ServerId, ServiceId>, std::pair<int, const Plan*>> instances;
  for (const PlacedInstance& i : placement.instances) {
    auto& [count, plan] = instances[{i.server, i.service}];
    ++count;
    plan = &placement.types[i.type].plan;
  }
  for (const auto& [where, what] : instances) {
    const auto& [server, service] = where;
    const std::string& name = scenario.service(service).name;
    const auto model = model_of.find(name);
    if (model == model_of.end())
      throw std::runtime_error(
          fmt::format("{}: no model serves '{}', which the placement runs", repository, name));
    servers[index_of(server)]->host(service, model->second, what.first, *what.second);
    fmt::print("{}: {} x{} ({}, batches of up to {})\n",
               scenario.cluster.servers[index_of(server)].name, name, what.first,
               model->second.name, what.second->max_batch);
  }

  // The ring: every period each server sends its view on to its successor.
  std::atomic<bool> running{true};
  std::thread sync([&] {
    while (running) {
      const Time now = exec::now();
      for (auto& server : servers)
        if (auto out = server->sync_tick(now))
          server->sync_acknowledge(servers[index_of(out->to)]->sync_receive(out->message, now),
                                   now);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // Clients: one thread per (service, origin) of the demand, Poisson arrivals at its rate.
  std::vector<std::thread> clients;
  std::atomic<std::uint64_t> next_id{0};
  const Time end = exec::now() + from_seconds(seconds);
  for (const Demand& d : scenario.demand) {
    const ServiceSpec& service = scenario.service(d.service);
    const double rate = load * d.items(service.slo).per_second;
    const auto model = model_of.find(service.name);
    if (rate <= 0.0 || model == model_of.end()) continue;
    clients.emplace_back([&, d, rate, model] {
      std::mt19937 rng(static_cast<unsigned>(index_of(d.origin) * 131 + index_of(d.service)));
      const auto inputs = exec::random_items(model->second.inputs, 1, {}, rng())[0];
      std::exponential_distribution<double> gap(rate);
      for (Time at = exec::now();; at += from_seconds(gap(rng))) {
        std::this_thread::sleep_until(at);
        if (at >= end) break;
        const Time now = exec::now();
        ledger.offered(d.service);
        servers[index_of(d.origin)]->handle({RequestId{next_id++},
                                             d.service,
                                             d.origin,
                                             now,
                                             now + service.slo.deadline,
                                             service.input_size,
                                             {},
                                             {}},
                                            inputs, servers);
      }
    });
  }
  for (std::thread& c : clients) c.join();
  for (auto& server : servers) server->drain();
  running = false;
  sync.join();

  fmt::print("\n{:<12} {:>8} {:>8} {:>6} {:>9} {:>10} {:>9} {:>9}\n", "service", "offered",
             "in SLO", "late", "rejected", "offloaded", "p50 ms", "p99 ms");
  const std::vector<Tally> tallies = ledger.take();
  bool every_request_ended = true, every_service_served = true;
  for (std::size_t i = 0; i < tallies.size(); ++i) {
    const Tally& t = tallies[i];
    every_request_ended &= t.in_slo + t.late + t.rejected == t.offered;
    if (t.offered == 0) continue;
    every_service_served &= t.in_slo > 0;
    fmt::print("{:<12} {:>8} {:>7.1f}% {:>6} {:>9} {:>10} {:>9.1f} {:>9.1f}\n",
               scenario.services[i].name, t.offered, 100.0 * t.in_slo / t.offered, t.late,
               t.rejected, t.offloaded, percentile(t.latency_ms, 0.5),
               percentile(t.latency_ms, 0.99));
  }
  fmt::print(
      "{}; {}\n",
      every_request_ended ? "every request ended in one outcome" : "REQUESTS WITHOUT AN OUTCOME",
      every_service_served ? "every service served" : "A SERVICE WAS NOT SERVED");
  return every_request_ended && every_service_served ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: %s SCENARIO.json REPOSITORY [SECONDS [LOAD]]\n", argv[0]);
    return 2;
  }
  try {
    const double seconds = argc >= 4 ? std::stod(argv[3]) : 5.0;
    const double load = argc == 5 ? std::stod(argv[4]) : 1.0;
    if (!(seconds > 0.0 && load > 0.0)) throw std::invalid_argument("SECONDS and LOAD must be > 0");
    return run(argv[1], argv[2], seconds, load);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embedded_server: %s\n", e.what());
    return 1;
  }
}
