// The offered load: Poisson or Gamma request arrivals per (service, origin), streams of items
// at their SLO's rate, and trace replay. Each source draws from its own generator.

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "sim/world.hpp"

namespace epara::sim::detail {

namespace {

// When the load profile next changes the factor of (service, origin) after `at`; none: never.
std::optional<Duration> next_change(const SimulationConfig& c, Duration at, ServiceId service,
                                    ServerId origin) {
  std::optional<Duration> next;
  for (const LoadStep& step : c.load_profile)
    if (step.at > at && step.applies_to(service, origin) && (!next || step.at < *next))
      next = step.at;
  return next;
}

// One inter-arrival time in seconds at `rate` per second.
double draw_gap(const SimulationConfig& c, Rng& rng, double rate) {
  if (c.arrivals == ArrivalProcess::Poisson || c.burstiness == 1.0)
    return std::exponential_distribution<double>(rate)(rng);
  // Gamma with mean 1/rate and coefficient of variation cv: shape 1/cv², scale cv²/rate.
  const double cv2 = c.burstiness * c.burstiness;
  return std::gamma_distribution<double>(1.0 / cv2, cv2 / rate)(rng);
}

}  // namespace

Duration World::next_gap(Source& s, Time now) {
  // The rate is constant between the profile's steps. A gap drawn at one rate that would cross
  // a step is cut there and drawn again at the new rate — exact for Poisson arrivals (they are
  // memoryless), and a source whose factor is 0 waits for the step that brings it back.
  Duration at = now - Time{};
  for (;;) {
    const double rate = s.rate * load_factor(config_, at, s.service, s.origin);
    const std::optional<Duration> change = next_change(config_, at, s.service, s.origin);
    if (rate > 0.0) {
      // A gap longer than the run is not converted (at a tiny rate it would overflow
      // nanoseconds): it ends past the run, or past the next change.
      const double gap_s = draw_gap(config_, s.rng, rate);
      if (gap_s < to_seconds(config_.duration)) {
        const Duration gap = from_seconds(gap_s);
        if (!change || at + gap < *change) return at + gap - (now - Time{});
      }
    }
    if (!change) return config_.duration;  // silent for the rest of the run
    at = *change;
  }
}

void World::arrival(std::uint32_t source, Time now) {
  Source& s = sources_[source];
  const std::uint32_t req = new_request(s.service, s.origin, now, 1.0, std::nullopt);
  deliver(req, s.origin, now);
  const Time next = now + next_gap(s, now);
  if (next < arrivals_end_) post_event(next, EventKind::Arrival, source);
}

void World::stream_item(std::uint32_t id, Time now) {
  Stream& st = streams_[id];
  const Time next = now + from_seconds(1.0 / st.rate);
  if (next < arrivals_end_) post_event(next, EventKind::StreamItem, id);
  // The load profile scales how many of an origin's streams run, not their frame rate.
  const double factor = load_factor(config_, now - Time{}, st.service, st.origin);
  st.active = st.rank < static_cast<int>(std::lround(st.declared * factor));
  if (!st.active) {
    if (st.assignment) strategy_.release_stream(*this, *st.assignment);  // stopped
    st.assignment.reset();
    return;
  }
  const std::uint64_t seq = st.sequence++;
  const std::uint32_t req =
      new_request(st.service, st.origin, now, 1.0, StreamPosition{StreamId{id}, seq});
  // A frame enters at its origin, as a request does: none gets out while that server is down
  // (and a down server proposes nothing).
  if (!servers_[index_of(st.origin)].up) return reject(req, RejectReason::ServerFailed);
  // (Re)assign a stream without one, one of whose targets lost an instance of its service since
  // (its share may no longer fit there), or whose assignment found fewer targets than it wanted
  // a while ago (views fill as synchronization proceeds) — unless a handshake is in flight.
  // Targets that declined are not asked again for a while: their answer came from their exact
  // state, the origin's view of them is older.
  constexpr Duration retry = std::chrono::seconds(1);
  if (now - st.declined_since >= retry) st.declined.clear();
  const auto shrank = [&](ServerId t) {
    return shrunk_[index_of(st.service)][index_of(t)] >= st.assigned;
  };
  if (!st.proposal &&
      (!st.assignment ||
       std::any_of(st.assignment->targets.begin(), st.assignment->targets.end(), shrank) ||
       (!st.assignment->complete() && now - st.assigned >= retry))) {
    if (st.assignment) strategy_.release_stream(*this, *st.assignment);
    st.assignment.reset();
    propose_stream(id, now);
  }
  if (!st.assignment) {
    deliver(req, st.origin, now);  // none (yet): the strategy routes every item
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
        post_event(now + path->transfer_time(q.r.payload), EventKind::Deliver, req,
                   static_cast<std::uint32_t>(index_of(target)));
      }
    }
  }
}

// The stream handshake: the origin's proposal is sent to each remote target, which answers
// from its own state one latency later; the answers back (one more latency), the stream's items
// follow the targets that accepted. The origin's own shares need no message.
void World::propose_stream(std::uint32_t id, Time now) {
  Stream& st = streams_[id];
  st.assigned = now;
  std::optional<StreamAssignment> p =
      strategy_.assign_stream(*this, st.service, st.origin, now, st.declined);
  if (!p) return;
  st.accepted.assign(p->targets.size(), true);
  st.awaiting = 0;
  for (std::size_t i = 0; i < p->targets.size(); ++i) {
    if (p->targets[i] == st.origin) continue;
    const auto path = network().path(st.origin, p->targets[i]);
    if (!path) {
      st.accepted[i] = false;
      continue;
    }
    post_event(now + path->latency, EventKind::StreamOffer, id, static_cast<std::uint32_t>(i));
    ++st.awaiting;
  }
  st.proposal = std::move(p);
  if (st.awaiting == 0) settle_stream(id, now);  // nothing to ask
}

void World::stream_offer(std::uint32_t id, std::uint32_t position, Time now) {
  Stream& st = streams_[id];
  const ServerId target = st.proposal->targets[position];
  const double share = st.rate / st.proposal->wanted;
  st.accepted[position] = servers_[index_of(target)].up &&
                          strategy_.admit_stream(*this, st.service, target, share, now);
  const auto back = network().path(target, st.origin);
  post_event(now + (back ? back->latency : Duration::zero()), EventKind::StreamAnswer, id);
}

void World::stream_answer(std::uint32_t id, Time now) {
  if (--streams_[id].awaiting == 0) settle_stream(id, now);
}

void World::settle_stream(std::uint32_t id, Time now) {
  Stream& st = streams_[id];
  StreamAssignment a = std::move(*st.proposal);
  st.proposal.reset();
  std::vector<ServerId> accepted;
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    if (st.accepted[i]) {
      accepted.push_back(a.targets[i]);
    } else {
      if (st.declined.empty()) st.declined_since = now;
      st.declined.push_back(a.targets[i]);
    }
  }
  a.targets = std::move(accepted);
  if (a.targets.empty()) return;  // every target declined: the next item proposes others
  if (st.active) {
    st.assignment = std::move(a);
  } else {
    strategy_.release_stream(*this, a);  // it stopped while its targets were asked
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
