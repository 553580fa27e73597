#pragma once
// Streams: a frequency-sensitive stream is assigned once, at its start, to a set of servers —
// as many as the allocator's plan splits a stream over (data parallel) — and its items follow
// that assignment round-robin, so each target sees a steady share of the rate. When a target
// fails, only that target is replaced.

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "epara/handler/views.hpp"
#include "epara/model/request.hpp"
#include "epara/model/slo.hpp"

namespace epara {

struct StreamAssignment {
  ServiceId service{};
  std::vector<ServerId> targets{};  ///< item k goes to targets[k % targets.size()]
  int wanted = 1;                   ///< targets the plan asked for; fewer were found when smaller
  std::vector<ServerId> failed{};   ///< targets that failed: never chosen again for this stream

  bool complete() const noexcept { return static_cast<int>(targets.size()) == wanted; }
  ServerId target_for(std::uint64_t sequence) const {
    return targets[static_cast<std::size_t>(sequence % targets.size())];
  }
};

/// Chooses `split` targets for a stream of `service` starting at `self` now: each must finish an
/// item within the per-item deadline (transfer included) and have spare capacity for
/// rate / split; the local server first (as many shares as its spare holds), then peers'
/// instances by earliest finish (ties: lower id; a server with several instances may take
/// several shares), never a server in `excluded`. Each chosen peer share is reserved in `view`.
/// nullopt when nothing qualifies; fewer targets than asked when only some do.
template <LocalView L, ClusterView V>
std::optional<StreamAssignment> assign_stream(ServerId self, ServiceId service, const Slo& slo,
                                              int split, Bytes payload, Time now, const L& local,
                                              V& view, std::span<const ServerId> excluded = {}) {
  const double share = slo.rate.per_second / split;
  const Time deadline = now + slo.deadline;
  const auto is_excluded = [&](ServerId s) {
    return std::find(excluded.begin(), excluded.end(), s) != excluded.end();
  };
  StreamAssignment a{service, {}, split, {}};
  if (const auto here = local.best_local(service, now);
      here && !is_excluded(self) && here->finish <= deadline)
    for (double spare = here->spare_rate;
         spare >= share && static_cast<int>(a.targets.size()) < split; spare -= share)
      a.targets.push_back(self);
  struct Option {
    ServerId server;
    Time finish;
    Duration compute;
  };
  std::vector<Option> options;
  for (const PeerEstimate& p : view.peers_hosting(service)) {
    if (p.server == self || is_excluded(p.server) || p.spare_rate < share) continue;
    const auto transfer = view.transfer_time(self, p.server, payload);
    if (!transfer) continue;
    const Time finish = now + *transfer + p.queue + p.compute;
    if (finish <= deadline) options.push_back({p.server, finish, p.compute});
  }
  std::sort(options.begin(), options.end(), [](const Option& x, const Option& y) {
    return x.finish != y.finish ? x.finish < y.finish : x.server < y.server;
  });
  for (const Option& o : options) {  // one share per instance the view lists
    if (static_cast<int>(a.targets.size()) == split) break;
    a.targets.push_back(o.server);
    view.reserve(o.server, service, o.compute, share);
  }
  if (a.targets.empty()) return std::nullopt;
  return a;
}

/// Replaces `failed` in `a` with another qualifying server (see assign_stream); the other
/// targets keep their items. False when no replacement exists (the target is dropped, and the
/// remaining targets take its items).
template <LocalView L, ClusterView V>
bool reassign_stream(StreamAssignment& a, ServerId failed, ServerId self, const Slo& slo,
                     Bytes payload, Time now, const L& local, V& view) {
  const auto it = std::find(a.targets.begin(), a.targets.end(), failed);
  if (it == a.targets.end()) return true;
  a.failed.push_back(failed);
  std::vector<ServerId> excluded = a.targets;  // keep the others; never a failed one again
  excluded.insert(excluded.end(), a.failed.begin(), a.failed.end());
  Slo one_share = slo;  // the replacement takes one target's share
  one_share.rate = slo.rate * (1.0 / a.wanted);
  const auto more =
      assign_stream(self, a.service, one_share, 1, payload, now, local, view, excluded);
  if (more) {
    *it = more->targets.front();
    return true;
  }
  a.targets.erase(it);
  return false;
}

}  // namespace epara
