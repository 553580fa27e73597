// Instances executing passes: dynamic batching with a timeout, devices shared by multi-task
// tenants (passes serialize on a device and slow down by the interference factor), pipelined
// replicas whose next pass starts before the previous one ends.

#include <algorithm>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "sim/world.hpp"

namespace epara::sim::detail {

void World::enqueue(std::uint32_t inst, std::uint32_t req, Time now) {
  requests_[req].enqueued = now;
  instances_[inst].queue.push(req);
  ++instances_[inst].received;
  try_start(inst, now);
}

double World::slowdown(const SimInstance& i) const {
  for (std::uint32_t d : i.devices)
    if (devices_[d].tenants.size() > 1) return config_.pass_time_scale * config_.interference;
  return config_.pass_time_scale;
}

void World::count_busy(std::uint32_t device, Time from, Time to) {
  const Time a = std::max(from, warmup_end_), b = std::min(to, arrivals_end_);
  if (b > a) devices_[device].busy_ns += static_cast<double>((b - a).count());
}

void World::count_held(std::uint32_t device, Time now) {
  SimDevice& dev = devices_[device];
  const Time a = std::max(dev.counted, warmup_end_), b = std::min(now, arrivals_end_);
  if (b > a && !dev.tenants.empty()) {
    const auto ns = static_cast<double>((b - a).count());
    dev.hosting_ns += ns;
    dev.memory_byte_ns += static_cast<double>(dev.used.count) * ns;
  }
  dev.counted = std::max(dev.counted, now);
}

void World::try_start(std::uint32_t id, Time now) {
  SimInstance& inst = instances_[id];
  if (!inst.alive || now < inst.active_from || now < inst.free_at || inst.queue.empty()) return;
  const ReplicaConfig& cfg = inst.spec.config;
  const int max_batch = std::min(cfg.max_batch, cfg.timing.max_batch());
  const std::uint32_t first = inst.queue.front();
  const Time due = requests_[first].enqueued + cfg.timeout;
  // What the next pass may take: everything queued, or the oldest item's stream only.
  const std::optional<StreamPosition> oldest = requests_[first].r.stream;
  const auto takes = [&](std::uint32_t req) {
    if (!cfg.same_stream || req == first) return true;
    const std::optional<StreamPosition>& s = requests_[req].r.stream;
    return s && oldest && s->stream == oldest->stream;
  };
  std::size_t ready = inst.queue.size();
  if (cfg.same_stream) {
    ready = 0;
    for (std::size_t i = 0; i < inst.queue.size(); ++i) ready += takes(inst.queue.at(i));
  }
  if (static_cast<int>(ready) < max_batch && now < due) {
    if (inst.timer_at != due) {  // wake up when the oldest item's timeout expires
      inst.timer_at = due;
      post_event(due, EventKind::Timer, id, ++inst.timer_generation);
    }
    return;
  }
  for (std::uint32_t d : inst.devices) {
    SimDevice& dev = devices_[d];
    if (dev.free_at > now) {  // a co-located tenant's pass is running: wait for it
      if (std::find(dev.waiting.begin(), dev.waiting.end(), id) == dev.waiting.end())
        dev.waiting.push_back(id);
      return;
    }
  }
  // Take a batch.
  std::uint32_t pass_id;
  if (free_passes_.empty()) {
    pass_id = static_cast<std::uint32_t>(passes_.size());
    passes_.emplace_back();
  } else {
    pass_id = free_passes_.back();
    free_passes_.pop_back();
  }
  Pass& pass = passes_[pass_id];
  pass.instance = id;
  pass.cancelled = false;
  pass.items.clear();
  const Duration fastest = cfg.timing.pass_at(1);
  // One walk over the queue: items the pass takes leave it, the others go back in order.
  for (std::size_t left = inst.queue.size(); left > 0; --left) {
    const bool full = static_cast<int>(pass.items.size()) == max_batch;
    if (full && !cfg.same_stream) break;  // FIFO: the rest stays where it is
    const std::uint32_t req = inst.queue.pop();
    if (full || !takes(req)) {  // back in order, behind the rest of the walk
      inst.queue.push(req);
      continue;
    }
    if (config_.drop_expired && now + fastest > requests_[req].r.deadline) {
      reject(req, RejectReason::Overloaded);  // it cannot make its deadline any more
      continue;
    }
    pass.items.push_back(req);
  }
  // A pass lasts as long as its heaviest item needs (a batch of generations runs to the longest).
  double scale = 0.0;
  const auto rescale = [&] {
    pass.work = 0.0;
    for (std::uint32_t req : pass.items) pass.work = std::max(pass.work, requests_[req].work);
    scale = slowdown(inst) * pass.work;
  };
  rescale();
  const auto latency_at = [&](std::size_t batch) {
    return Duration{static_cast<Duration::rep>(
        static_cast<double>(cfg.timing.pass_at(static_cast<int>(batch)).count()) * scale)};
  };
  // Leave out the items this pass would finish late (earliest deadline first, the pass getting
  // shorter with each, in batch and in its heaviest item): they could not count, and the others
  // finish sooner.
  while (config_.drop_expired && !pass.items.empty()) {
    const auto earliest = std::min_element(
        pass.items.begin(), pass.items.end(), [&](std::uint32_t a, std::uint32_t b) {
          return requests_[a].r.deadline < requests_[b].r.deadline;
        });
    if (now + latency_at(pass.items.size()) <= requests_[*earliest].r.deadline) break;
    reject(*earliest, RejectReason::Overloaded);
    pass.items.erase(earliest);
    rescale();
  }
  if (pass.items.empty()) {  // everything queued would have been late
    free_passes_.push_back(pass_id);
    return try_start(id, now);
  }
  const int batch = static_cast<int>(pass.items.size());
  // The pass as the executor planned it (above), then as long as this one happens to run: at
  // its batch size's own speed where one is given, varying by pass_time_cv.
  const std::vector<double>& by_batch = config_.pass_time_scale_by_batch;
  if (static_cast<std::size_t>(batch) <= by_batch.size())
    scale *= by_batch[static_cast<std::size_t>(batch) - 1] / config_.pass_time_scale;
  if (config_.pass_time_cv > 0.0) scale *= pass_factor_(pass_rng_);
  const Duration latency = latency_at(pass.items.size());
  const Duration interval{static_cast<Duration::rep>(
      static_cast<double>(cfg.timing.interval_at(batch).count()) * scale)};
  inst.free_at = now + interval;
  ++inst.passes_running;
  for (std::uint32_t d : inst.devices) {
    devices_[d].free_at = now + interval;
    count_busy(d, now, now + interval);
  }
  inst.timer_at = Time::max();
  ++inst.timer_generation;  // a pending timer is stale now
  post_event(now + latency, EventKind::PassEnd, pass_id);
  if (interval < latency) post_event(now + interval, EventKind::InstanceFree, id);
}

// The parallel modes a pass used, from its items and its instance.
ModeSet World::modes_of(const Pass& pass) {
  const SimInstance& inst = instances_[pass.instance];
  ModeSet modes;
  if (inst.devices.size() > 1) modes.insert(Mode::ModelParallel);
  if (serving_[index_of(inst.spec.service)].size() > 1) modes.insert(Mode::DataParallel);
  if (inst.spec.config.share < 1.0 ||
      std::any_of(inst.devices.begin(), inst.devices.end(),
                  [&](std::uint32_t d) { return devices_[d].tenants.size() > 1; }))
    modes.insert(Mode::MultiTask);
  // Sorted sources (a stream, or a request of its own): a repeated one is multi-frame, two
  // different ones are batching.
  pass_sources_.clear();
  for (std::uint32_t req : pass.items) {
    const auto& s = requests_[req].r.stream;
    pass_sources_.push_back(s ? 2 * static_cast<std::uint64_t>(s->stream)
                              : 2 * std::uint64_t{req} + 1);
  }
  std::sort(pass_sources_.begin(), pass_sources_.end());
  if (std::adjacent_find(pass_sources_.begin(), pass_sources_.end()) != pass_sources_.end())
    modes.insert(Mode::MultiFrame);
  if (!pass_sources_.empty() && pass_sources_.front() != pass_sources_.back())
    modes.insert(Mode::Batching);
  return modes;
}

void World::pass_end(std::uint32_t pass_id, Time now) {
  Pass& pass = passes_[pass_id];
  const std::uint32_t id = pass.instance;
  if (!pass.cancelled) {
    std::optional<ModeSet> modes;  // found for the first measured item: none in the warm-up
    for (std::uint32_t req : pass.items) {
      if (!requests_[req].measured) continue;
      if (!modes) modes = modes_of(pass);
      ServiceMetrics& m = metrics_.services[index_of(requests_[req].r.service)];
      for (std::size_t k = 0; k < all_modes.size(); ++k)
        if (modes->contains(all_modes[k])) ++m.by_mode[k];
    }
    for (std::uint32_t req : pass.items) finish(req, now);
    instances_[id].finished_work += pass.work;
    ++instances_[id].finished_passes;
  }
  pass.items.clear();
  free_passes_.push_back(pass_id);
  --instances_[id].passes_running;
  // An unloaded instance finishing its last pass still frees its devices for their tenants.
  if (instances_[id].free_at <= now) instance_free(id, now);
  release_if_retired(id);
}

// Co-located tenants waiting for the device go first, as with the executors' DeviceArbiter
// (first come, first served): a busy tenant must not keep its device by starting again at once.
void World::instance_free(std::uint32_t id, Time now) {
  for (std::uint32_t d : instances_[id].devices) wake_waiters(d, now);
  try_start(id, now);
}

void World::wake_waiters(std::uint32_t device, Time now) {
  SimDevice& dev = devices_[device];
  if (dev.waiting.empty() || dev.free_at > now) return;
  // Swapped, not moved: both keep their storage (the hot path allocates nothing). A waiter that
  // still cannot start joins `waiting` again; try_start never wakes waiters, so `waking` holds.
  dev.waking.swap(dev.waiting);
  for (std::uint32_t inst : dev.waking) try_start(inst, now);
  dev.waking.clear();
}

// The instance stops: items in its running passes and its queue get an outcome now — re-routed
// from its server (an unload) or rejected (its server or device failed). Nothing is dropped.
void World::kill_instance(std::uint32_t id, Time now, bool reroute) {
  SimInstance& inst = instances_[id];
  if (!inst.alive) return;
  inst.alive = false;
  live_.erase(std::lower_bound(live_.begin(), live_.end(), id));
  ++inst.timer_generation;
  shrunk_[index_of(inst.spec.service)][index_of(inst.spec.server)] = now;
  for (Pass& pass : passes_) {
    if (pass.instance != id || pass.cancelled || pass.items.empty()) continue;
    if (reroute) continue;  // an unloaded instance finishes the passes it started
    pass.cancelled = true;
    for (std::uint32_t req : pass.items) reject(req, RejectReason::ServerFailed);
  }
  for (std::uint32_t d : inst.devices) {
    count_held(d, now);
    SimDevice& dev = devices_[d];
    dev.tenants.erase(std::remove(dev.tenants.begin(), dev.tenants.end(), id), dev.tenants.end());
    dev.waiting.erase(std::remove(dev.waiting.begin(), dev.waiting.end(), id), dev.waiting.end());
    dev.used -=
        memory_per_device(scenario_.service(inst.spec.service), inst.spec.config.timing.gpus);
  }
  index_serving();
  while (!inst.queue.empty()) {
    const std::uint32_t req = inst.queue.pop();
    if (reroute) {
      deliver(req, inst.spec.server, now);
    } else {
      reject(req, RejectReason::ServerFailed);
    }
  }
  release_if_retired(id);
}

// A long run's instance list keeps only a fixed-size record per dead instance: the rest of its
// state is freed once its last pass has ended (until then the pass's end wakes its devices).
void World::release_if_retired(std::uint32_t id) {
  if (instances_[id].retired()) instances_[id].release_storage();
}

std::size_t World::queued(ServerId at, std::uint32_t id) const {
  expect_on(at, id);
  return instances_[id].queue.size();
}

Time World::predicted_finish(ServerId at, std::uint32_t id, Time now, double work) const {
  expect_on(at, id);
  return finish_estimate(id, now, work);
}

void World::expect_on(ServerId at, std::uint32_t id) const {
  EPARA_EXPECTS(id < instances_.size(), fmt::format("no instance {}", id));
  const ServerId where = instances_[id].spec.server;
  EPARA_EXPECTS(where == at, fmt::format("instance {} runs on '{}': '{}' knows its queue only "
                                         "through its synced view",
                                         id, scenario_.cluster.server(where).name,
                                         scenario_.cluster.server(at).name));
}

Time World::finish_estimate(std::uint32_t id, Time now, double work) const {
  const SimInstance& inst = instances_[id];
  if (!inst.alive) return Time::max();  // unloaded or failed: it finishes nothing new
  const ReplicaConfig& cfg = inst.spec.config;
  const int max_batch = std::min(cfg.max_batch, cfg.timing.max_batch());
  Time start = std::max({now, inst.free_at, inst.active_from});
  for (std::uint32_t d : inst.devices) start = std::max(start, devices_[d].free_at);
  // (A same-stream replica is estimated as if any queued items could share a pass.)
  const auto backlog = static_cast<int>(inst.queue.size()) + 1;
  if (backlog < max_batch) {  // a partial batch goes when its oldest item times out
    const Time oldest = inst.queue.empty() ? now : requests_[inst.queue.front()].enqueued;
    start = std::max(start, oldest + cfg.timeout);
  }
  const int passes = (backlog + max_batch - 1) / max_batch;
  const int last = backlog - (passes - 1) * max_batch;
  // Queued passes as long as its finished ones were on average; the new item's own pass at
  // least as long as its work needs.
  const double typical = inst.typical_pass_work();
  const auto ns = [&](Duration d, double w) {
    return static_cast<double>(d.count()) * slowdown(inst) * w;
  };
  return start + Duration{static_cast<Duration::rep>(
                     (passes - 1) * ns(cfg.timing.interval_at(max_batch), typical) +
                     ns(cfg.timing.pass_at(last), std::max(work, typical)))};
}

}  // namespace epara::sim::detail
