#pragma once
// The distributed request handler: per request, on the server that holds it, in microseconds.
//
//   1. local first: run here when a local instance predicts to finish by the deadline — unless
//      the request (not a stream's item: its stream was admitted here) would finish strictly
//      sooner at a peer whose report is younger than the time it would spend here (a report
//      older than that no longer describes the peer: every other server may have read it too);
//   2. else offload to the unvisited, reachable peer with the best predicted finish
//      (transfer + its queue + compute) that meets the deadline — the largest margin, ties to
//      the lower server id — and reserve the item's work in the local view;
//   3. else run here late if there is a local instance, or reject with the reason.
// Loop-free: a request never goes to a server on its route, and never past the hop limit.

#include "epara/error.hpp"
#include "epara/handler/decision.hpp"
#include "epara/handler/views.hpp"
#include "epara/model/request.hpp"

namespace epara {

struct HandlerOptions {
  /// Most offloads one request may take (<= Route::capacity - 1).
  int hop_limit = 3;
  /// When no server can finish in time: true runs it here late (an answer, after the
  /// deadline); false rejects it (the capacity goes to requests that can still make it).
  bool run_late_locally = true;
};

/// Stateless apart from its server id and options; decide() is const and may run concurrently
/// on different views.
class RequestHandler {
 public:
  explicit RequestHandler(ServerId self, HandlerOptions options = {})
      : self_(self), options_(options) {
    EPARA_EXPECTS(options.hop_limit >= 0 && options.hop_limit < static_cast<int>(Route::capacity),
                  "RequestHandler: hop_limit must be in [0, Route::capacity - 1]");
  }

  ServerId self() const noexcept { return self_; }
  const HandlerOptions& options() const noexcept { return options_; }

  /// Decides for `r`, which is at this server now: records this server on its route, then
  /// applies the rules. An offload reserves the target's work for `r` in `view`.
  template <LocalView L, ClusterView V>
  Decision decide(Request& r, Time now, const L& local, V& view) const {
    if (!r.route.visited(self_)) r.route.enter(self_);
    const std::optional<LocalOption> here = local.best_local(r.service, now);
    const bool here_in_time = here && here->finish <= r.deadline;
    if (here_in_time && r.stream) return RunLocal{here->instance, here->finish, false};

    const auto peers = view.peers_hosting(r.service);
    const bool may_offload = r.route.hops() < options_.hop_limit;
    const PeerEstimate* best = nullptr;
    Time best_finish = Time::max();
    bool any_host = here.has_value();
    for (const PeerEstimate& p : peers) {
      if (p.server == self_) continue;  // our own instances are the local view's
      any_host = true;
      if (!may_offload || r.route.visited(p.server)) continue;
      const auto transfer = view.transfer_time(self_, p.server, r.payload);
      if (!transfer) continue;
      const Time finish = now + *transfer + p.queue + p.compute;
      if (finish > r.deadline) continue;
      // Largest margin = earliest finish; ties to the lower server id (deterministic).
      if (best == nullptr || finish < best_finish ||
          (finish == best_finish && p.server < best->server)) {
        best = &p;
        best_finish = finish;
      }
    }
    const bool peer_sooner = best != nullptr && here_in_time && best_finish < here->finish &&
                             best->age < here->finish - now;
    if (here_in_time && !peer_sooner) return RunLocal{here->instance, here->finish, false};
    if (best != nullptr) {
      const ServerId target = best->server;
      // The item joins the target's batches: it adds its share of a full pass to the drain,
      // not the whole pass it joins (which would call a batching peer full after a few items).
      view.reserve(target, r.service, best->item_work, 0.0);
      return Offload{target, best_finish};
    }
    if (here && options_.run_late_locally) return RunLocal{here->instance, here->finish, true};
    if (!any_host) return Reject{RejectReason::NoInstance};
    return Reject{may_offload ? RejectReason::Overloaded : RejectReason::HopLimit};
  }

 private:
  ServerId self_;
  HandlerOptions options_;
};

}  // namespace epara
