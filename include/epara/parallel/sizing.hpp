#pragma once
// Sizing: given one replica's timing and a load, the batch, timeout and replica count that meet
// the deadline with the fewest replicas. This is the cost model every policy shares:
//
//   worst latency   W = max(T, I(b)) + L(b) (+ reserve)  the later of gather ≤ T and the pass
//                                                        in progress, then its own pass
//   expected batch  x = min(b, 1 + λr · T)               items gathered within the timeout
//   utilization     u = λr · I(x) / (x · e)              e = data-parallel efficiency when spread
//   feasible        W ≤ D and u ≤ max utilization
//
// λr is the busiest replica's items per second. It falls as replicas are added, and u grows
// with λr when latency is non-decreasing in the batch, so feasibility is monotone in the number
// of replicas (binary search) and in the load (more load never needs fewer replicas).

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>

#include "epara/parallel/plan.hpp"
#include "epara/parallel/replica_timing.hpp"

namespace epara {

/// How a service's load reaches its replicas.
struct LoadShape {
  double rate = 0.0;  ///< requests per second in all, or items per second of one stream
  int streams = 0;    ///< 0: requests (divisible among replicas); > 0: this many streams
  int split = 1;      ///< streams only: replicas each stream's items are spread over

  bool is_streams() const noexcept { return streams > 0; }
  /// Stream slices (a stream's share of items on one replica) on the busiest replica.
  int slices_per_replica(int replicas) const noexcept {
    return (streams * split + replicas - 1) / replicas;
  }
  /// Items per second reaching the busiest of `replicas` replicas.
  double per_replica(int replicas) const noexcept {
    if (!is_streams()) return rate / replicas;
    return slices_per_replica(replicas) * rate / split;
  }
  /// Most replicas that can all receive work.
  int max_replicas() const noexcept { return is_streams() ? streams * split : INT_MAX; }
  /// Items per second in all.
  double total() const noexcept { return is_streams() ? rate * streams : rate; }
};

struct SizingOptions {
  Duration deadline{};
  double max_utilization = 0.9;
  double efficiency = 1.0;  ///< applied when items of one flow are spread over replicas
  int max_replicas = 1;     ///< the pool's limit (devices / k), or 1 for a shared replica
  Duration reserve{};       ///< latency kept free (for co-located services' passes)
  /// true: fewest replicas, then the lowest worst latency, with the timeout shrunk to the least
  /// that keeps utilization within the cap (exclusive replicas). false: one replica at the
  /// lowest utilization, i.e. the smallest share of a device (multi-task).
  bool fewest_replicas = true;
};

struct Sizing {
  int batch = 1;
  int replicas = 1;
  Duration timeout{};
  double effective_batch = 1.0;
  double utilization = 0.0;
  Duration worst{};
  double capacity = 0.0;  ///< items per second, all replicas, at the utilization cap
};

/// The best sizing, or why there is none: the deadline cannot be met even by one item alone
/// (`closest` = batch 1), or the pool's replicas cannot carry the load (`closest` = the most
/// capacity the pool allows).
struct SizingOutcome {
  std::optional<Sizing> best;
  bool deadline_unreachable = false;
  Sizing closest;
};

namespace detail {

// Time for `items` more arrivals at `rate` per second, rounded up so that exactly that many
// have arrived by then (1 + rate × gather >= items + 1).
inline Duration gather_time(int items, double rate) {
  return Duration{static_cast<Duration::rep>(std::ceil(items / rate * 1e9))};
}

struct SizingProbe {
  const ReplicaTiming& timing;
  const LoadShape& load;
  const SizingOptions& options;

  bool spread(int replicas) const noexcept {
    return load.is_streams() ? load.split > 1 : replicas > 1;
  }
  double efficiency(int replicas) const noexcept {
    return spread(replicas) ? options.efficiency : 1.0;
  }
  // The longest gather within the deadline at `batch`; below the pass interval the batch cannot
  // meet the deadline at all (the pass in progress alone takes longer).
  Duration max_timeout(int batch) const {
    return options.deadline - options.reserve - timing.pass_at(batch);
  }
  bool reachable(int batch) const { return timing.interval_at(batch) <= max_timeout(batch); }
  // Utilization of the busiest replica at `batch` items at most per pass, a gather timeout, and
  // `replicas` replicas; also returns the expected batch.
  double utilization(int batch, Duration timeout, int replicas, double& expected) const {
    const double rate = load.per_replica(replicas);
    expected = std::min(static_cast<double>(batch), 1.0 + rate * to_seconds(timeout));
    return rate * timing.interval_ns(expected) * 1e-9 / (expected * efficiency(replicas));
  }
  bool fits(int batch, Duration timeout, int replicas) const {
    double expected = 0;
    return utilization(batch, timeout, replicas, expected) <= options.max_utilization;
  }
  Sizing make(int batch, Duration timeout, int replicas) const {
    Sizing s;
    s.batch = batch;
    s.replicas = replicas;
    s.timeout = timeout;
    s.utilization = utilization(batch, timeout, replicas, s.effective_batch);
    s.worst = batched_worst_latency(timeout, timing.interval_at(batch), timing.pass_at(batch)) +
              options.reserve;
    s.capacity = replicas * options.max_utilization * efficiency(replicas) * s.effective_batch /
                 (timing.interval_ns(s.effective_batch) * 1e-9);
    return s;
  }
  // Fewest replicas that carry the load at `batch` with `timeout`, or 0 when none do.
  int fewest_replicas(int batch, Duration timeout) const {
    if (fits(batch, timeout, 1)) return 1;
    int lo = 2, hi = std::min(options.max_replicas, load.max_replicas());
    if (hi < lo || !fits(batch, timeout, hi)) return 0;
    while (lo < hi) {  // from 2 on, fits() is monotone in the replica count
      const int mid = lo + (hi - lo) / 2;
      if (fits(batch, timeout, mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
  // The least timeout that still keeps utilization within the cap: the time to gather the
  // smallest batch that suffices, never above `limit`.
  Duration shortest_timeout(int batch, Duration limit, int replicas) const {
    const double rate = load.per_replica(replicas);
    for (int x = 1; x <= batch; ++x) {
      const Duration gather = gather_time(x - 1, rate);
      if (gather >= limit) break;
      if (fits(x, gather, replicas)) return gather;
    }
    return limit;
  }
};

}  // namespace detail

namespace detail {
inline bool better(const Sizing& a, const Sizing& b, const SizingOptions& options) {
  if (!options.fewest_replicas) return a.utilization < b.utilization;
  if (a.replicas != b.replicas) return a.replicas < b.replicas;
  return a.worst < b.worst;
}
}  // namespace detail

/// Sizes replicas of `timing` for `load`; see SizingOptions::fewest_replicas for the goal. Ties
/// go to the smaller batch.
inline SizingOutcome size_replicas(const ReplicaTiming& timing, const LoadShape& load,
                                   const SizingOptions& options) {
  const detail::SizingProbe probe{timing, load, options};
  SizingOutcome out;
  const int replica_limit = std::max(1, std::min(options.max_replicas, load.max_replicas()));
  bool have_closest = false;
  for (int b = 1; b <= timing.max_batch(); ++b) {
    if (!probe.reachable(b)) break;  // larger batches only take longer
    const Duration limit = probe.max_timeout(b);
    const Duration passes = timing.interval_at(b) + timing.pass_at(b) + options.reserve;
    // One replica cannot be beaten on count, and passes only lengthen with the batch.
    if (options.fewest_replicas && out.best && out.best->replicas == 1 && passes >= out.best->worst)
      break;
    const int replicas = probe.fewest_replicas(b, limit);
    if (replicas == 0) {
      const Sizing at_limit = probe.make(b, limit, replica_limit);
      if (!have_closest || at_limit.capacity > out.closest.capacity) out.closest = at_limit;
      have_closest = true;
      continue;
    }
    // With as many replicas as the best so far, a batch whose passes alone take longer than
    // the best's worst latency cannot win; skip the (linear) timeout search for it.
    if (options.fewest_replicas && out.best &&
        (replicas > out.best->replicas ||
         (replicas == out.best->replicas && passes >= out.best->worst)))
      continue;
    // Waiting longer than it takes to gather a full batch gains nothing.
    const Duration fill = detail::gather_time(b - 1, load.per_replica(replicas));
    const Duration timeout = options.fewest_replicas
                                 ? probe.shortest_timeout(b, std::min(limit, fill), replicas)
                                 : std::min(limit, fill);
    const Sizing s = probe.make(b, timeout, replicas);
    if (!out.best || detail::better(s, *out.best, options)) out.best = s;
  }
  if (!out.best && !have_closest) {
    out.deadline_unreachable = true;
    out.closest = probe.make(1, Duration::zero(), 1);
  }
  return out;
}

}  // namespace epara
