// The control plane of a run: ring synchronization messages over the simulated network,
// periodic re-placement with model load times, and faults.

#include <algorithm>
#include <optional>
#include <utility>

#include "epara/placement/placement_diff.hpp"
#include "sim/world.hpp"

namespace epara::sim::detail {

// ---- ring synchronization ----

ServerDigest World::digest_of(ServerId server, Time now) const {
  ServerDigest d;
  for (std::uint32_t d_index = first_device_[index_of(server)];
       d_index < devices_.size() && devices_[d_index].server == server; ++d_index)
    if (devices_[d_index].up) d.free_memory += devices_[d_index].memory - devices_[d_index].used;
  const std::vector<std::uint32_t>& here = on_server_[index_of(server)];
  auto next = here.begin();  // by service then id, so the digest lists services in order
  for (std::size_t s = 0; s < serving_.size(); ++s) {
    for (; next != here.end() && index_of(instances_[*next].spec.service) == s; ++next) {
      const SimInstance& inst = instances_[*next];
      if (now < inst.active_from) continue;
      const ReplicaConfig& cfg = inst.spec.config;
      const int full = std::min(cfg.max_batch, cfg.timing.max_batch());
      const int b = std::min(full, static_cast<int>(inst.queue.size()) + 1);
      const auto compute = Duration{static_cast<Duration::rep>(
          static_cast<double>(cfg.timing.pass_at(b).count()) * slowdown(inst))};
      const Duration queue =
          std::max(Duration::zero(), finish_estimate(*next, now, 1.0) - now - compute);
      // Queued items drain in full passes, each item taking its share of one.
      const auto item_work = Duration{
          static_cast<Duration::rep>(static_cast<double>(cfg.timing.interval_at(full).count()) *
                                     slowdown(inst) * inst.typical_pass_work() / full)};
      // Spare: the capacity left at the plans' utilization cap after what it received recently.
      const double spare =
          std::max(0.0, CostModel{}.max_utilization * inst.capacity - inst.recent_rate);
      d.instances.push_back(
          {id_at<ServiceId>(s), queue, compute, item_work, static_cast<float>(spare)});
    }
    const auto n = arrivals_since_replan_[s][index_of(server)];
    const double elapsed = to_seconds(now - last_replan_);
    if (n > 0 && elapsed > 0)
      d.demand.push_back(
          {id_at<ServiceId>(s), static_cast<float>(static_cast<double>(n) / elapsed)});
  }
  return d;
}

void World::sync_tick(std::uint32_t server, Time now) {
  if (now >= arrivals_end_) return;  // the drain needs no synchronization
  post_event(now + config_.sync_period, EventKind::SyncTick, server);
  SimServer& s = servers_[server];
  if (!s.up) return;
  for (std::uint32_t id : on_server_[server]) instances_[id].observe(now);
  s.sync->refresh(digest_of(id_at<ServerId>(server), now), now);
  std::uint32_t slot;  // the message is written into a pooled slot, reusing its storage
  if (free_messages_.empty()) {
    slot = static_cast<std::uint32_t>(messages_.size());
    messages_.emplace_back();
    message_to_.emplace_back();
  } else {
    slot = free_messages_.back();
    free_messages_.pop_back();
  }
  const auto to = s.sync->tick(now, messages_[slot]);
  s.view_changed = now;
  const auto release = [&] { free_messages_.push_back(slot); };
  if (!to) return release();
  std::size_t bytes = 20;
  for (const SyncEntry& e : messages_[slot].entries) bytes += encoded_size(*e.digest);
  ++metrics_.sync_messages;
  metrics_.sync_bytes += bytes;
  if (sync_rng_.uniform() < config_.sync_loss) return release();  // lost on the way
  const auto path = network().path(id_at<ServerId>(server), *to);
  if (!path) return release();
  message_to_[slot] = *to;
  post_event(
      now + path->transfer_time(Bytes{static_cast<std::int64_t>(bytes)}) + config_.sync_delay,
      EventKind::SyncDeliver, slot);
}

void World::sync_deliver(std::uint32_t slot, Time now) {
  const ServerId to = message_to_[slot];
  SimServer& s = servers_[index_of(to)];
  if (!s.up) {
    free_messages_.push_back(slot);  // nobody there to receive or acknowledge it
    return;
  }
  s.sync->receive(messages_[slot], now);
  s.view_changed = now;
  const auto path = network().path(to, messages_[slot].from);
  if (!path || sync_rng_.uniform() < config_.sync_loss) {
    free_messages_.push_back(slot);  // the acknowledgement is lost
    return;
  }
  post_event(now + path->latency + config_.sync_delay, EventKind::AckDeliver, slot);
}

SyncedView& World::view_of(ServerId id) {
  SimServer& s = servers_[index_of(id)];
  if (s.view_changed) {
    s.view->rebuild(*s.sync, *s.view_changed);
    s.view_changed.reset();
  }
  return *s.view;
}

void World::ack_deliver(std::uint32_t slot, Time now) {
  const ServerId sender = messages_[slot].from;
  SimServer& s = servers_[index_of(sender)];
  if (s.up) s.sync->acknowledge({message_to_[slot], messages_[slot].sequence}, now);
  free_messages_.push_back(slot);
}

// ---- placement ----

void World::replan(Time now) {
  if (now >= arrivals_end_) return;
  post_event(now + strategy_.replan_period(config_), EventKind::Replan);
  const auto wanted = strategy_.replan(*this, now);
  last_replan_ = now;
  for (auto& per_origin : arrivals_since_replan_)
    std::fill(per_origin.begin(), per_origin.end(), 0);
  if (!wanted) return;
  ++metrics_.placements;
  apply(*wanted, now);
}

// Keeps the wanted instances already loaded on the same devices (placement_diff, as epara-node
// does), unloads the others (their queued requests are routed again from their server), loads
// the rest — except on a server or device that is down: those wait for it to return. Make before
// break: an instance the plan drops while it loads its service anew (same server first) serves
// until that load is done, where its devices hold it beside the plan's instances (memory and
// compute shares); otherwise a service moved within a server would serve nothing there for a whole
// load time.
void World::apply(const std::vector<InstanceSpec>& wanted, Time now) {
  const std::vector<std::uint32_t> alive = live_;  // the diff's loaded instances, in its order
  const PlacementDiff diff = placement_diff<LoadedInstance, InstanceSpec>(loaded(), wanted);
  std::vector<bool> kept(alive.size(), false);  // by position in `alive`
  for (std::size_t l : diff.keep) kept[l] = true;
  std::vector<const InstanceSpec*> load;
  for (std::size_t w : diff.load) load.push_back(&wanted[w]);
  const auto first_new = static_cast<std::uint32_t>(instances_.size());
  const auto loading = [&](std::uint32_t id) { return instances_[id].active_from > now; };
  // Kept or new, and not serving yet: what a dropped instance of its service may hand over to.
  std::vector<std::uint32_t> loading_now;
  std::vector<bool> reloaded(scenario_.services.size(), false);  // a new instance is loading
  for (std::size_t l = 0; l < alive.size(); ++l) {
    if (!kept[l] || !loading(alive[l])) continue;
    loading_now.push_back(alive[l]);
    reloaded[index_of(instances_[alive[l]].spec.service)] = true;
  }
  for (const InstanceSpec* w : load)
    if (placeable(*w)) reloaded[index_of(w->service)] = true;
  std::vector<std::uint32_t> handover;
  for (std::size_t l = 0; l < alive.size(); ++l) {
    SimInstance& inst = instances_[alive[l]];
    inst.replaces.clear();  // every handover is decided again
    if (kept[l]) continue;
    if (reloaded[index_of(inst.spec.service)]) {
      handover.push_back(alive[l]);
    } else {
      kill_instance(alive[l], now, true);
    }
  }
  for (const InstanceSpec* w : load) {
    if (!placeable(*w)) continue;
    add_instance(*w, now, now + w->config.load_time);
    ++metrics_.loads;
  }
  for (auto id = first_new; id < instances_.size(); ++id)
    if (loading(id)) loading_now.push_back(id);
  for (std::uint32_t old : handover) {
    const SimInstance& from = instances_[old];
    std::optional<std::uint32_t> to;
    for (std::uint32_t i : loading_now) {
      if (instances_[i].spec.service != from.spec.service) continue;
      if (!to || (instances_[i].spec.server == from.spec.server &&
                  instances_[*to].spec.server != from.spec.server))
        to = i;
    }
    // Its devices must hold it beside the plan's tenants, in memory and in compute shares: a
    // retiring tenant must not slow the plan's passes (on `large` at 96 GPUs stream-llm fell
    // from 99.1 to 90.8% when only memory was checked).
    const bool fits = std::all_of(from.devices.begin(), from.devices.end(), [&](std::uint32_t d) {
      double shares = 0.0;
      for (std::uint32_t t : devices_[d].tenants) shares += instances_[t].spec.config.share;
      return devices_[d].used <= devices_[d].memory && shares <= 1.0 + 1e-9;
    });
    if (to && fits) {
      instances_[*to].replaces.push_back(old);
    } else {
      kill_instance(old, now, true);
    }
  }
  index_serving();
}

// A loaded instance takes over from the ones it replaces, and starts on what waits for it.
void World::loaded(std::uint32_t id, Time now) {
  if (instances_[id].alive)
    for (std::uint32_t old : std::exchange(instances_[id].replaces, {}))
      kill_instance(old, now, true);
  try_start(id, now);
}

std::vector<DeviceRef> World::devices_down() const {
  std::vector<DeviceRef> out;
  for (const SimDevice& d : devices_)
    if (!d.up || !servers_[index_of(d.server)].up) out.push_back({d.server, d.slot});
  return out;
}

// The demand measured since the last re-placement stays counted for the next one.
void World::failure_known(Time now) {
  if (now >= arrivals_end_) return;
  if (const auto wanted = strategy_.on_failure(*this, now)) {
    ++metrics_.placements;
    apply(*wanted, now);
  }
}

bool World::placeable(const InstanceSpec& spec) const {
  if (!servers_[index_of(spec.server)].up) return false;
  const std::uint32_t first = first_device_[index_of(spec.server)];
  const ServerSpec& server = scenario_.cluster.server(spec.server);
  for (DeviceSlot slot : spec.devices) {
    const std::size_t at = slot == cpu_slot ? server.gpus.size() : static_cast<std::size_t>(slot);
    if (!devices_[first + at].up) return false;
  }
  return true;
}

// ---- faults ----

void World::fault(std::uint32_t index, Time now) {
  const Fault& f = config_.faults[index];
  SimServer& server = servers_[index_of(f.server)];
  const std::uint32_t first = first_device_[index_of(f.server)];
  const ServerSpec& spec = scenario_.cluster.server(f.server);
  const std::uint32_t end =
      first + static_cast<std::uint32_t>(spec.gpus.size()) + (spec.cpu ? 1 : 0);
  const auto on_device = [&](const SimInstance& inst, std::uint32_t device) {
    return std::find(inst.devices.begin(), inst.devices.end(), device) != inst.devices.end();
  };
  switch (f.kind) {
    case FaultKind::ServerDown:
    case FaultKind::DeviceDown: {
      const std::uint32_t device =
          first + static_cast<std::uint32_t>(
                      f.device == cpu_slot ? spec.gpus.size() : static_cast<std::size_t>(f.device));
      if (f.kind == FaultKind::ServerDown) server.up = false;
      for (std::uint32_t d = first; d < end; ++d)
        if (f.kind == FaultKind::ServerDown || d == device) devices_[d].up = false;
      for (const std::uint32_t i : std::vector<std::uint32_t>(live_)) {  // kill_instance shrinks it
        const SimInstance& inst = instances_[i];
        if (inst.spec.server != f.server) continue;
        if (f.kind == FaultKind::DeviceDown && !on_device(inst, device)) continue;
        server.lost.push_back(inst.spec);
        kill_instance(i, now, false);
      }
      post_event(now + config_.failure_detection, EventKind::FailureKnown);
      break;
    }
    case FaultKind::ServerUp:
    case FaultKind::DeviceUp: {
      if (f.kind == FaultKind::ServerUp && !server.up) {
        server.up = true;
        if (server.sync) {    // a restart: a new incarnation outranks its old entries
          view_of(f.server);  // the view it had keeps what the old state last showed
          const RingSync& old = *server.sync;
          std::vector<ServerId> ring;
          for (std::size_t v = 0; v < servers_.size(); ++v) ring.push_back(id_at<ServerId>(v));
          server.sync.emplace(f.server, ring, ++server.incarnation, old.options());
        }
      }
      for (std::uint32_t d = first; d < end; ++d)
        if (f.kind == FaultKind::ServerUp || devices_[d].slot == f.device) devices_[d].up = true;
      std::vector<InstanceSpec> still_lost;
      for (const InstanceSpec& lost : server.lost) {
        if (placeable(lost)) {
          add_instance(lost, now, now + lost.config.load_time);  // restart: reload the model
        } else {
          still_lost.push_back(lost);
        }
      }
      server.lost.swap(still_lost);
      index_serving();
      break;
    }
  }
}

}  // namespace epara::sim::detail
