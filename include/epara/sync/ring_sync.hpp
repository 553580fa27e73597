#pragma once
// Ring information synchronization: one state machine per server, driven by its embedder (the
// simulator's events, or a node's timers and sockets). Every period a server sends its whole
// view to its ring successor; a receiver merges entry by entry, the freshest version winning,
// and acknowledges. A successor that does not acknowledge within the timeout is skipped — the
// ring heals around it — and is taken back once its own entry shows it alive again. Entries
// older than the TTL are dropped, so a dead server ages out of every view.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "epara/error.hpp"
#include "epara/sync/digest.hpp"

namespace epara {

struct SyncOptions {
  Duration period = std::chrono::milliseconds(100);      ///< between two sends of one server
  Duration ack_timeout = std::chrono::milliseconds(50);  ///< silence that marks a successor dead
  Duration entry_ttl = std::chrono::seconds(5);          ///< entries older than this are dropped
};

/// A message to send, and to whom.
struct Outgoing {
  ServerId to{};
  SyncMessage message{};
};

/// Not thread-safe: one embedder thread (or event loop) drives it.
class RingSync {
 public:
  struct Entry {
    SharedDigest digest{};  ///< never null
    Duration age_at_receipt{};
    Time received{};
  };

  /// `ring` lists every server in ring order, `self` among them. `incarnation` must grow each
  /// time this server restarts, so its new entries outrank copies of its old ones.
  RingSync(ServerId self, std::vector<ServerId> ring, std::uint32_t incarnation = 0,
           SyncOptions options = {})
      : self_(self),
        ring_(std::move(ring)),
        options_(options),
        version_(static_cast<std::uint64_t>(incarnation) << 32) {
    const auto it = std::find(ring_.begin(), ring_.end(), self_);
    EPARA_EXPECTS(it != ring_.end(), "RingSync: the ring does not contain this server");
    position_ = static_cast<std::size_t>(it - ring_.begin());
    for (std::size_t i = 0; i < ring_.size(); ++i) slot_.push_back({index_of(ring_[i]), i});
    std::sort(slot_.begin(), slot_.end());
    EPARA_EXPECTS(std::adjacent_find(slot_.begin(), slot_.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.first == b.first;
                                     }) == slot_.end(),
                  "RingSync: a server appears twice in the ring");
    entries_.resize(ring_.size());
    held_version_.resize(ring_.size());
    suspected_.assign(ring_.size(), std::nullopt);
    EPARA_EXPECTS(options.period > Duration::zero() && options.ack_timeout > Duration::zero() &&
                      options.entry_ttl > Duration::zero(),
                  "RingSync: period, ack_timeout and entry_ttl must be > 0");
  }

  ServerId self() const noexcept { return self_; }
  const SyncOptions& options() const noexcept { return options_; }

  /// Replaces this server's own entry (its version grows).
  void refresh(ServerDigest own, Time now) {
    own.server = self_;
    own.version = ++version_;
    held_version_[position_] = own.version;
    entries_[position_] =
        Entry{std::make_shared<const ServerDigest>(std::move(own)), Duration::zero(), now};
  }

  /// Called every period: the message to send, or nullopt when every other server is dead.
  /// A send still unacknowledged after the timeout marks its destination dead first.
  std::optional<Outgoing> tick(Time now) {
    Outgoing out;
    const auto to = tick(now, out.message);
    if (!to) return std::nullopt;
    out.to = *to;
    return out;
  }

  /// The same, writing the message into `message` (its storage is reused: an embedder that
  /// sends many messages keeps a pool of them) and returning its destination. The message
  /// shares this view's digests; it copies none.
  std::optional<ServerId> tick(Time now, SyncMessage& message) {
    if (pending_ && now - pending_->sent >= options_.ack_timeout) {
      const std::size_t slot = *slot_of(pending_->to);
      suspected_[slot] = entries_[slot] ? held_version_[slot] : 0;
      pending_.reset();
    }
    const auto to = successor(now);
    if (!to) return std::nullopt;
    message.from = self_;
    message.sequence = ++sequence_;
    message.entries.clear();
    for_each_entry(now, [&](const Entry& e, Duration entry_age) {
      message.entries.push_back({e.digest, entry_age});
    });
    pending_ = Pending{*to, sequence_, now};
    return to;
  }

  /// Merges a message: per server, the higher version wins (equal versions: the younger copy).
  /// Returns the acknowledgement to send back. The sender is alive, whatever we thought.
  /// InvalidArgument, before anything is merged, for an entry without a digest.
  SyncAck receive(const SyncMessage& m, Time now) {
    EPARA_EXPECTS(std::all_of(m.entries.begin(), m.entries.end(),
                              [](const SyncEntry& e) { return e.digest != nullptr; }),
                  "RingSync: a sync message entry has no digest");
    if (const auto s = slot_of(m.from)) suspected_[*s].reset();
    std::size_t next = 0;  // a peer lists its entries in ring order, so this is the usual slot
    for (const SyncEntry& e : m.entries) {
      const auto s = next < ring_.size() && ring_[next] == e.digest->server
                         ? std::optional<std::size_t>(next)
                         : slot_of(e.digest->server);
      if (s) next = *s + 1;
      if (!s || *s == position_) continue;  // unknown servers are ignored; our entry is ours
      auto& mine = entries_[*s];
      const std::uint64_t version = e.digest->version;
      const bool newer = !mine || version > held_version_[*s];
      const bool younger = mine && version == held_version_[*s] && e.age < age(*mine, now);
      if (!newer && !younger) continue;
      mine = Entry{e.digest, e.age, now};
      held_version_[*s] = version;
    }
    return {self_, m.sequence};
  }

  void acknowledge(const SyncAck& ack, Time /*now*/) {
    if (pending_ && ack.from == pending_->to && ack.sequence == pending_->sequence)
      pending_.reset();
  }

  /// The entry of `server` if the view holds an unexpired one.
  const Entry* entry(ServerId server, Time now) const {
    const auto s = slot_of(server);
    if (!s || !entries_[*s] || age(*entries_[*s], now) > options_.entry_ttl) return nullptr;
    return &*entries_[*s];
  }
  /// How old the view's entry of `server` is (by this server's clock), if it holds one.
  std::optional<Duration> age_of(ServerId server, Time now) const {
    const Entry* e = entry(server, now);
    if (!e) return std::nullopt;
    return age(*e, now);
  }
  /// Every unexpired entry (this server's own included).
  template <class F>
  void for_each_entry(Time now, F&& f) const {
    for (const auto& e : entries_) {
      if (!e) continue;
      const Duration entry_age = age(*e, now);
      if (entry_age <= options_.entry_ttl) f(*e, entry_age);
    }
  }
  /// The server this one sends to now: the next one in ring order not believed dead.
  std::optional<ServerId> successor(Time now) {
    for (std::size_t step = 1; step < ring_.size(); ++step) {
      const std::size_t s = (position_ + step) % ring_.size();
      if (suspected_[s]) {
        if (!moved_on(s) || age(*entries_[s], now) > options_.entry_ttl) continue;
        suspected_[s].reset();
      }
      return ring_[s];
    }
    return std::nullopt;
  }
  /// True while this server believes `server` dead: it went silent as this server's successor,
  /// and no newer entry of it has come round since (one has: it is alive, even if this server
  /// has not sent to it again — a server suspected behind a successor that recovered is not
  /// revisited by successor()).
  bool suspects(ServerId server) const {
    const auto s = slot_of(server);
    return s && suspected_[*s].has_value() && !moved_on(*s);
  }

 private:
  struct Pending {
    ServerId to;
    std::uint64_t sequence;
    Time sent;
  };

  static Duration age(const Entry& e, Time now) { return e.age_at_receipt + (now - e.received); }
  // Alive again: its own entry has moved on since this server gave up on it.
  bool moved_on(std::size_t slot) const {
    return entries_[slot] && held_version_[slot] > *suspected_[slot];
  }
  std::optional<std::size_t> slot_of(ServerId s) const {
    const auto it =
        std::lower_bound(slot_.begin(), slot_.end(), std::pair{index_of(s), std::size_t{0}});
    if (it == slot_.end() || it->first != index_of(s)) return std::nullopt;
    return it->second;
  }

  ServerId self_;
  std::vector<ServerId> ring_;
  SyncOptions options_;
  std::uint64_t version_;
  std::uint64_t sequence_ = 0;
  std::size_t position_ = 0;
  // (server id, position in ring_), sorted by id: a merge looks up every entry, and a binary
  // search over one flat array misses the cache far less than a hash map's nodes.
  std::vector<std::pair<std::size_t, std::size_t>> slot_;
  std::vector<std::optional<Entry>> entries_;  // by ring position
  // The version of each held entry (its digest's, when it holds one), kept beside it: a merge
  // compares every incoming version with the held one, and reading it through the held digest
  // missed the cache (a fifth of a large run). Every read of a held version uses it.
  std::vector<std::uint64_t> held_version_;
  std::vector<std::optional<std::uint64_t>> suspected_;  // version seen when it went silent
  std::optional<Pending> pending_;
};

}  // namespace epara
