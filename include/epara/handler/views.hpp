#pragma once
// What the request handler reads: the server's own instances (LocalView) and its possibly stale
// picture of the other servers (ClusterView). Embedders implement both over their own state.

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>

#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

/// The best local instance for a service: the one that would finish a new item first.
struct LocalOption {
  std::uint32_t instance = 0;
  Time finish{};            ///< now + its queue's drain time + the latency of its next batch
  double spare_rate = 0.0;  ///< items per second it can still take (for stream assignment)
};

/// A peer's instance of a service as the view has it.
struct PeerEstimate {
  ServerId server{};
  Duration queue{};         ///< time to drain its queue, as of the view's knowledge now
  Duration compute{};       ///< latency of the batch a new item would join
  Duration item_work{};     ///< what one more queued item adds to its drain (full passes)
  double spare_rate = 0.0;  ///< items per second it can still take
  Duration age{};           ///< how old the report behind this estimate is
};

/// A type L models LocalView when, for `const L& l`, a ServiceId `s` and a Time `now`,
/// `l.best_local(s, now)` returns std::optional<LocalOption>: the local instance of `s` that
/// would finish a new item first, or nullopt when `s` has none here.
template <class L>
concept LocalView = requires(const L& l, ServiceId s, Time now) {
  { l.best_local(s, now) } -> std::same_as<std::optional<LocalOption>>;
};

/// A type V models ClusterView when, for `const V& v`, `V& m`, a ServiceId `s`, ServerIds
/// `from` and `to`, Bytes `size`, a Duration `work` and a double `rate`:
///   v.peers_hosting(s)           -> std::span<const PeerEstimate>: servers with an instance of s
///   v.transfer_time(from, to, size) -> std::optional<Duration>: moving size bytes; nullopt when
///                                   unreachable
///   m.reserve(to, s, work, rate) records work (and a stream's rate) sent to `to`, so that
///                                   the next decisions see it busier
/// The view may be stale or wrong: decisions stay loop-free and every request still ends.
template <class V>
concept ClusterView = requires(const V& v, V& m, ServiceId s, ServerId from, ServerId to,
                               Bytes size, Duration work, double rate) {
  { v.peers_hosting(s) } -> std::convertible_to<std::span<const PeerEstimate>>;
  { v.transfer_time(from, to, size) } -> std::same_as<std::optional<Duration>>;
  m.reserve(to, s, work, rate);
};

}  // namespace epara
