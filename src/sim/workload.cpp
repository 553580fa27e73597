// The offered load: Poisson or Gamma request arrivals per (service, origin), streams of items
// at their SLO's rate, and trace replay. Each source draws from its own generator.

#include <algorithm>
#include <cmath>
#include <random>

#include "sim/world.hpp"

namespace epara::sim::detail {

Duration World::next_gap(Source& s, Time now) {
  const double rate = s.rate * factor_at(now);
  if (rate <= 0.0) return config_.duration;  // silent until the load comes back
  double seconds;
  if (config_.arrivals == ArrivalProcess::Poisson || config_.burstiness == 1.0) {
    seconds = std::exponential_distribution<double>(rate)(s.rng);
  } else {
    // Gamma with mean 1/rate and coefficient of variation cv: shape 1/cv², scale cv²/rate.
    const double cv2 = config_.burstiness * config_.burstiness;
    seconds = std::gamma_distribution<double>(1.0 / cv2, cv2 / rate)(s.rng);
  }
  return from_seconds(seconds);
}

void World::arrival(std::uint32_t source, Time now) {
  Source& s = sources_[source];
  const std::uint32_t req = new_request(s.service, s.origin, now, 1.0, std::nullopt);
  deliver(req, s.origin, now);
  const Time next = now + next_gap(s, now);
  if (next < arrivals_end_) schedule(next, EventKind::Arrival, source);
}

void World::stream_item(std::uint32_t id, Time now) {
  Stream& st = streams_[id];
  const Time next = now + from_seconds(1.0 / st.rate);
  if (next < arrivals_end_) schedule(next, EventKind::StreamItem, id);
  // The load profile scales how many of an origin's streams run, not their frame rate.
  if (st.rank >= static_cast<int>(std::lround(st.declared * factor_at(now)))) {
    if (st.assignment) strategy_.release_stream(*this, *st.assignment);  // stopped
    st.assignment.reset();
    return;
  }
  const std::uint64_t seq = st.sequence++;
  const std::uint32_t req =
      new_request(st.service, st.origin, now, 1.0, StreamPosition{StreamId{id}, seq});
  // (Re)assign a stream without one, one of whose targets lost an instance of its service since
  // (its share may no longer fit there), or whose assignment found fewer targets than it wanted
  // a while ago (views fill as synchronization proceeds).
  constexpr Duration retry = std::chrono::seconds(1);
  const auto shrank = [&](ServerId t) {
    return shrunk_[index_of(st.service)][index_of(t)] >= st.assigned;
  };
  if (!st.assignment ||
      std::any_of(st.assignment->targets.begin(), st.assignment->targets.end(), shrank) ||
      (!st.assignment->complete() && now - st.assigned >= retry)) {
    if (st.assignment) strategy_.release_stream(*this, *st.assignment);
    st.assignment = strategy_.assign_stream(*this, st.service, st.origin, now);
    st.assigned = now;
  }
  if (!st.assignment) {
    deliver(req, st.origin, now);  // no assignment: the strategy routes every item
  } else {
    const ServerId target = st.assignment->target_for(seq);
    SimRequest& q = requests_[req];
    if (target == st.origin || !q.r.route.enter(st.origin)) {
      deliver(req, target, now);
    } else {
      const auto path = network().path(st.origin, target);
      if (!path) {
        reject(req, RejectReason::Overloaded);
      } else {
        if (q.measured) ++metrics_.services[index_of(st.service)].offloads;
        schedule(now + path->transfer_time(q.r.payload), EventKind::Deliver, req,
                 static_cast<std::uint32_t>(index_of(target)));
      }
    }
  }
}

void World::trace_arrival(std::uint32_t row, Time now) {
  const TraceReplay& t = *config_.trace;
  const TraceRow& r = trace_[row];
  const ServerId origin = t.origins[row % t.origins.size()];  // work: relative to the mean
  const std::uint32_t req = new_request(t.service, origin, now,
                                        r.cost(t.prefill_weight) / trace_mean_cost_, std::nullopt);
  deliver(req, origin, now);
}

}  // namespace epara::sim::detail
