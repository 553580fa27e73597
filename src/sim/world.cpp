#include "sim/world.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "epara/categorize.hpp"

namespace epara::sim::detail {

namespace {

// Log-normal of mean 1 and coefficient of variation `cv`: sigma^2 = ln(1 + cv^2), mu = -sigma^2/2.
std::lognormal_distribution<double> pass_factor(double cv) {
  if (cv <= 0.0) return {};  // never drawn
  const double sigma2 = std::log1p(cv * cv);
  return std::lognormal_distribution<double>(-0.5 * sigma2, std::sqrt(sigma2));
}

}  // namespace

World::World(const Scenario& scenario, const SimulationConfig& config, Strategy& strategy,
             std::vector<TraceRow> trace)
    : scenario_(scenario),
      config_(config),
      strategy_(strategy),
      trace_(std::move(trace)),
      sync_rng_(Rng::derive(config.seed, 7, 0)),
      pass_rng_(Rng::derive(config.seed, 8, 0)),
      pass_factor_(pass_factor(config.pass_time_cv)) {
  warmup_end_ = Time{} + config.warmup;
  arrivals_end_ = Time{} + config.duration;
  for (const Demand& d : scenario.demand) {
    const Demand scaled = d.scaled(config.load_scale);
    if (scaled.rate.per_second > 0.0 || scaled.streams > 0) declared_.push_back(scaled);
  }
  metrics_.strategy = std::string(strategy.name());
  metrics_.measured = config.duration - config.warmup;
  for (std::size_t i = 0; i < scenario.services.size(); ++i) {
    ServiceMetrics m;
    m.service = id_at<ServiceId>(i);
    m.category = categorize(scenario, m.service).category;
    metrics_.services.push_back(m);
  }
  arrivals_since_replan_.assign(scenario.services.size(),
                                std::vector<std::uint64_t>(scenario.cluster.servers.size(), 0));
  shrunk_.assign(scenario.services.size(),
                 std::vector<Time>(scenario.cluster.servers.size(), Time::min()));
  servers_.resize(scenario.cluster.servers.size());
  build_devices();
  queue_.reserve(1 << 16);
}

void World::build_devices() {
  const Cluster& c = scenario_.cluster;
  for (std::size_t v = 0; v < c.servers.size(); ++v) {
    first_device_.push_back(static_cast<std::uint32_t>(devices_.size()));
    const ServerSpec& s = c.servers[v];
    const auto add = [&](DeviceSlot slot, DeviceClassId cls) {
      SimDevice d;
      d.server = id_at<ServerId>(v);
      d.slot = slot;
      d.device_class = cls;
      d.memory = c.device_class(cls).memory;
      devices_.push_back(d);
    };
    for (std::size_t g = 0; g < s.gpus.size(); ++g) add(static_cast<DeviceSlot>(g), s.gpus[g]);
    if (s.cpu) add(cpu_slot, *s.cpu);
    metrics_.gpus_total += static_cast<int>(s.gpus.size());
  }
}

void World::build_sources() {
  for (const Demand& d : declared_) {
    const ServiceSpec& s = scenario_.service(d.service);
    if (s.slo.is_latency()) {
      if (config_.trace && config_.trace->service == d.service) continue;  // the trace drives it
      const auto i = static_cast<std::uint32_t>(sources_.size());
      sources_.push_back(
          {d.service, d.origin, d.rate.per_second, Rng(Rng::derive(config_.seed, 1, i))});
      post_event(Time{} + next_gap(sources_.back(), Time{}), EventKind::Arrival, i);
      continue;
    }
    // As many streams as the load profile ever asks for at this origin.
    const int count =
        static_cast<int>(std::ceil(d.streams * peak_load_factor(config_, d.service, d.origin)));
    for (int k = 0; k < count; ++k) {
      const auto i = static_cast<std::uint32_t>(streams_.size());
      streams_.push_back(
          {d.service, d.origin, s.slo.rate.per_second, k, d.streams, 0, std::nullopt, Time{}});
      // Streams open at random times over the first part of the warm-up (not all at once).
      Rng start(Rng::derive(config_.seed, 2, i));
      const double window = std::max(to_seconds(config_.warmup) / 2, 1.0 / s.slo.rate.per_second);
      post_event(Time{} + from_seconds(start.uniform() * window), EventKind::StreamItem, i);
    }
  }
  if (config_.trace) {
    double total = 0.0;
    for (const TraceRow& r : trace_) total += r.cost(config_.trace->prefill_weight);
    if (!trace_.empty() && total > 0) trace_mean_cost_ = total / static_cast<double>(trace_.size());
    const double speedup = config_.trace->speedup;
    for (std::size_t r = 0; r < trace_.size(); ++r) {
      const Time at = Time{} + from_seconds(to_seconds(trace_[r].offset) / speedup);
      if (at >= arrivals_end_) break;
      post_event(at, EventKind::TraceArrival, static_cast<std::uint32_t>(r));
    }
  }
}

std::uint32_t World::add_instance(const InstanceSpec& spec, Time now, Time active_from) {
  SimInstance inst;
  inst.spec = spec;
  inst.active_from = active_from;
  const auto id = static_cast<std::uint32_t>(instances_.size());
  const std::uint32_t first = first_device_[index_of(spec.server)];
  const ServerSpec& server = scenario_.cluster.server(spec.server);
  for (DeviceSlot slot : spec.devices) {
    const std::uint32_t d =
        first + static_cast<std::uint32_t>(slot == cpu_slot ? server.gpus.size()
                                                            : static_cast<std::size_t>(slot));
    inst.devices.push_back(d);
    count_held(d, now);
    devices_[d].tenants.push_back(id);
    devices_[d].used += memory_per_device(scenario_.service(spec.service), spec.config.timing.gpus);
  }
  const ReplicaTiming& t = spec.config.timing;
  const int b = std::min(spec.config.max_batch, t.max_batch());
  inst.capacity = b / to_seconds(t.interval_at(b));
  instances_.push_back(std::move(inst));
  live_.push_back(id);  // ids grow, so live_ stays ascending
  if (active_from > Time{}) post_event(active_from, EventKind::LoadDone, id);
  return id;
}

void World::index_serving() {
  serving_.assign(scenario_.services.size(), {});
  for (std::uint32_t id : live_) serving_[index_of(instances_[id].spec.service)].push_back(id);
  on_server_.assign(servers_.size(), {});
  for (const auto& ids : serving_)
    for (std::uint32_t id : ids) on_server_[index_of(instances_[id].spec.server)].push_back(id);
}

RunMetrics World::run() {
  for (const InstanceSpec& spec : strategy_.deploy(*this)) add_instance(spec, Time{}, Time{});
  index_serving();
  build_sources();
  for (SimServer& s : servers_)
    s.view = std::make_unique<SyncedView>(scenario_.cluster.network, scenario_.services.size());
  if (strategy_.synchronizes()) {
    std::vector<ServerId> ring;
    for (std::size_t v = 0; v < servers_.size(); ++v) ring.push_back(id_at<ServerId>(v));
    const SyncOptions sync{config_.sync_period, config_.sync_period / 2,
                           config_.sync_period * static_cast<int>(4 * servers_.size() + 10)};
    for (std::size_t v = 0; v < servers_.size(); ++v) {
      servers_[v].sync.emplace(id_at<ServerId>(v), ring, 0, sync);
      // Spread the servers' ticks over the period.
      post_event(
          Time{} + config_.sync_period * static_cast<int>(v) / static_cast<int>(servers_.size()),
          EventKind::SyncTick, static_cast<std::uint32_t>(v));
    }
  }
  post_event(Time{} + strategy_.replan_period(config_), EventKind::Replan);
  for (std::size_t f = 0; f < config_.faults.size(); ++f)
    post_event(Time{} + config_.faults[f].at, EventKind::Fault, static_cast<std::uint32_t>(f));

  const double span_ns = static_cast<double>(config_.duration.count());
  while (!queue_.empty()) {
    const Event e = queue_.pop();
    ++metrics_.events;
    if (config_.on_progress && (metrics_.events & 0x3ffff) == 0)
      config_.on_progress(
          std::min(1.0, static_cast<double>(e.at.time_since_epoch().count()) / span_ns));
    switch (e.kind) {
      case EventKind::Arrival:
        arrival(e.a, e.at);
        break;
      case EventKind::StreamItem:
        stream_item(e.a, e.at);
        break;
      case EventKind::TraceArrival:
        trace_arrival(e.a, e.at);
        break;
      case EventKind::Deliver:
        deliver(e.a, id_at<ServerId>(e.b), e.at);
        break;
      case EventKind::Timer:
        if (instances_[e.a].timer_generation == e.b) {
          instances_[e.a].timer_at = Time::max();
          try_start(e.a, e.at);
        }
        break;
      case EventKind::PassEnd:
        pass_end(e.a, e.at);
        break;
      case EventKind::InstanceFree:
        instance_free(e.a, e.at);
        break;
      case EventKind::SyncTick:
        sync_tick(e.a, e.at);
        break;
      case EventKind::SyncDeliver:
        sync_deliver(e.a, e.at);
        break;
      case EventKind::AckDeliver:
        ack_deliver(e.a, e.at);
        break;
      case EventKind::Replan:
        replan(e.at);
        break;
      case EventKind::FailureKnown:
        failure_known(e.at);
        break;
      case EventKind::Fault:
        fault(e.a, e.at);
        break;
      case EventKind::LoadDone:
        loaded(e.a, e.at);
        break;
      case EventKind::StreamOffer:
        stream_offer(e.a, e.b, e.at);
        break;
      case EventKind::StreamAnswer:
        stream_answer(e.a, e.at);
        break;
    }
  }

  // Utilization averaged over the time devices hosted an instance during the window: busy
  // time per hosting time, memory held per memory of the hosting devices.
  double busy = 0.0, hosting = 0.0, held = 0.0, memory = 0.0;
  for (std::uint32_t i = 0; i < devices_.size(); ++i) {
    count_held(i, arrivals_end_);
    const SimDevice& d = devices_[i];
    if (d.hosting_ns == 0.0 && d.busy_ns == 0.0) continue;
    ++metrics_.devices_used;
    busy += d.busy_ns;
    hosting += d.hosting_ns;
    held += d.memory_byte_ns;
    memory += static_cast<double>(d.memory.count) * d.hosting_ns;
  }
  if (hosting > 0.0) {
    metrics_.compute_utilization = std::min(1.0, busy / hosting);
    metrics_.memory_utilization = memory > 0 ? held / memory : 0.0;
  }
  metrics_.dropped_in_flight = live_requests_;
  return metrics_;
}

// ---- requests ----

std::uint32_t World::new_request(ServiceId s, ServerId origin, Time now, double work,
                                 std::optional<StreamPosition> stream) {
  std::uint32_t id;
  if (free_requests_.empty()) {
    id = static_cast<std::uint32_t>(requests_.size());
    requests_.emplace_back();
  } else {
    id = free_requests_.back();
    free_requests_.pop_back();
  }
  SimRequest& q = requests_[id];
  q = SimRequest{};
  q.r.id = RequestId{id};
  q.r.service = s;
  q.r.origin = origin;
  q.r.arrival = now;
  q.r.deadline = now + scenario_.service(s).slo.deadline;
  q.r.payload = scenario_.service(s).input_size;
  q.r.stream = stream;
  q.work = work;
  q.live = true;
  q.measured = measuring(now);
  ++live_requests_;
  if (q.measured) ++metrics_.services[index_of(s)].offered;
  // Demand is measured where it arrives: a down origin counts nothing (its arrivals are lost).
  if (servers_[index_of(origin)].up) ++arrivals_since_replan_[index_of(s)][index_of(origin)];
  return id;
}

void World::deliver(std::uint32_t req, ServerId at, Time now) {
  SimRequest& q = requests_[req];
  if (!servers_[index_of(at)].up) return reject(req, RejectReason::ServerFailed);
  if (!q.r.route.visited(at) && !q.r.route.enter(at)) return reject(req, RejectReason::HopLimit);
  const Decision d = strategy_.route(*this, q.r, at, now);
  if (const auto* local = std::get_if<RunLocal>(&d)) {
    EPARA_EXPECTS(local->instance < instances_.size() &&
                      instances_[local->instance].spec.server == at &&
                      instances_[local->instance].alive,
                  fmt::format("strategy {}: RunLocal on an instance not serving at server {}",
                              strategy_.name(), index_of(at)));
    return enqueue(local->instance, req, now);
  }
  if (const auto* off = std::get_if<Offload>(&d)) {
    const auto path = scenario_.cluster.network.path(at, off->server);
    if (!path || q.r.route.visited(off->server))  // unreachable, or a loop: refuse
      return reject(req, path ? RejectReason::HopLimit : RejectReason::Overloaded);
    if (q.measured) ++metrics_.services[index_of(q.r.service)].offloads;
    post_event(now + path->transfer_time(q.r.payload), EventKind::Deliver, req,
               static_cast<std::uint32_t>(index_of(off->server)));
    return;
  }
  reject(req, std::get<Reject>(d).reason);
}

void World::finish(std::uint32_t req, Time now) {
  const SimRequest& q = requests_[req];
  if (q.measured) {
    ServiceMetrics& m = metrics_.services[index_of(q.r.service)];
    (now <= q.r.deadline ? m.served : m.late) += 1;
    m.latency_sum_s += to_seconds(now - q.r.arrival);
    m.latency.record(to_seconds(now - q.r.arrival));
    ++m.hops[static_cast<std::size_t>(q.r.route.hops())];
  }
  release(req);
}

void World::reject(std::uint32_t req, RejectReason reason) {
  const SimRequest& q = requests_[req];
  if (q.measured) {
    ServiceMetrics& m = metrics_.services[index_of(q.r.service)];
    ++m.rejected[static_cast<std::size_t>(reason)];
    ++m.hops[static_cast<std::size_t>(q.r.route.hops())];
  }
  release(req);
}

void World::release(std::uint32_t req) {
  // An outcome is recorded before release: a request released twice had two.
  if (!requests_[req].live)
    throw std::logic_error(fmt::format("simulator: request {} got a second outcome", req));
  requests_[req].live = false;
  free_requests_.push_back(req);
  --live_requests_;
}

// ---- SimView ----

std::vector<Demand> World::measured_demand(Time now) const {
  std::vector<Demand> out;
  const double period = std::max(1e-9, to_seconds(period_since_replan(now)));
  for (std::size_t s = 0; s < arrivals_since_replan_.size(); ++s) {
    const ServiceSpec& spec = scenario_.services[s];
    for (std::size_t o = 0; o < arrivals_since_replan_[s].size(); ++o) {
      const auto n = arrivals_since_replan_[s][o];
      if (n == 0) continue;
      out.push_back(demand_measured(id_at<ServiceId>(s), id_at<ServerId>(o), spec.slo,
                                    static_cast<double>(n) / period));
    }
  }
  return out;
}

InstanceState World::instance(std::uint32_t id) const {
  const SimInstance& i = instances_[id];
  return {i.spec.service, i.spec.server, i.alive, i.spec.config.max_batch, i.capacity};
}

std::span<const std::uint32_t> World::serving(ServiceId s) const { return serving_[index_of(s)]; }

std::span<const std::uint32_t> World::serving_on(ServerId server, ServiceId s) const {
  // on_server_ lists a server's instances by service, so a service's are one run of it.
  const std::vector<std::uint32_t>& here = on_server_[index_of(server)];
  const auto service_of = [&](std::uint32_t id) { return index_of(instances_[id].spec.service); };
  const auto first = std::partition_point(
      here.begin(), here.end(), [&](std::uint32_t id) { return service_of(id) < index_of(s); });
  const auto last = std::partition_point(
      first, here.end(), [&](std::uint32_t id) { return service_of(id) == index_of(s); });
  return {first, last};
}

std::vector<LoadedInstance> World::loaded() const {
  std::vector<LoadedInstance> out;
  for (std::uint32_t id : live_) {
    const SimInstance& i = instances_[id];
    out.push_back({i.spec.service, i.spec.server, i.spec.devices});
  }
  return out;
}

}  // namespace epara::sim::detail
