#pragma once
// What servers tell each other around the ring: per server, its loaded instances with their
// queue estimates, its free memory and its recent demand — and a compact binary encoding, so a
// digest's cost is known: 32 bytes per server + 20 per instance + 8 per demanded service.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

/// One loaded instance, as its server sees it when it writes its digest.
struct InstanceDigest {
  ServiceId service{};
  Duration queue{};         ///< time to drain its queue
  Duration compute{};       ///< latency of the batch a new item would join
  Duration item_work{};     ///< what one more queued item adds to the drain (full passes)
  float spare_rate = 0.0f;  ///< items per second it can still take
  friend bool operator==(const InstanceDigest&, const InstanceDigest&) = default;
};

/// Recent demand for a service entering at this server.
struct DemandDigest {
  ServiceId service{};
  float rate = 0.0f;  ///< items per second
  friend bool operator==(const DemandDigest&, const DemandDigest&) = default;
};

/// One server's entry. `version` orders a server's entries: (incarnation << 32) | counter, so a
/// restarted server (next incarnation) outranks its old entries.
struct ServerDigest {
  ServerId server{};
  std::uint64_t version = 0;
  Bytes free_memory{};
  std::vector<InstanceDigest> instances{};
  std::vector<DemandDigest> demand{};
  friend bool operator==(const ServerDigest&, const ServerDigest&) = default;
};

/// A published digest never changes (a server publishes a new version instead), so every view
/// and message holding it shares one copy: a ring of n servers keeps n² references, not n²
/// copies of instance lists.
using SharedDigest = std::shared_ptr<const ServerDigest>;

/// An entry as sent: the digest and how old it is by the sender's clock (ages add up hop by hop,
/// so no synchronized clocks are needed).
struct SyncEntry {
  SharedDigest digest{};  ///< never null in a message
  Duration age{};
  /// Equal digests, not the same pointer: a decoded message equals the one encoded.
  friend bool operator==(const SyncEntry& a, const SyncEntry& b) {
    const bool same = a.digest == b.digest || (a.digest && b.digest && *a.digest == *b.digest);
    return same && a.age == b.age;
  }
};

/// One ring message: the sender's whole (unexpired) view.
struct SyncMessage {
  ServerId from{};
  std::uint64_t sequence = 0;
  std::vector<SyncEntry> entries{};
  friend bool operator==(const SyncMessage&, const SyncMessage&) = default;
};

struct SyncAck {
  ServerId from{};
  std::uint64_t sequence = 0;
  friend bool operator==(const SyncAck&, const SyncAck&) = default;
};

namespace detail {

// Little-endian fixed-width fields. Durations travel as microseconds in 32 bits (71 minutes),
// ages as microseconds in 64.
class Writer {
 public:
  template <class T>
  void put(T value) {
    const std::size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    std::memcpy(bytes.data() + at, &value, sizeof(T));
  }
  void duration32(Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    put(static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max())));
  }
  std::vector<std::uint8_t> bytes;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
  template <class T>
  T get() {
    EPARA_EXPECTS(data_.size() - at_ >= sizeof(T),
                  fmt::format("sync message: truncated at byte {}", at_));
    T value;
    std::memcpy(&value, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  Duration duration32() { return std::chrono::microseconds(get<std::uint32_t>()); }
  bool done() const noexcept { return at_ == data_.size(); }
  std::size_t left() const noexcept { return data_.size() - at_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t at_ = 0;
};

inline constexpr std::uint32_t sync_magic = 0x45505253;      // "EPRS"
inline constexpr std::uint64_t max_age_us = 86'400'000'000;  // a day

}  // namespace detail

/// Bytes one server's entry takes on the wire.
inline std::size_t encoded_size(const ServerDigest& d) noexcept {
  return 32 + 20 * d.instances.size() + 8 * d.demand.size();
}

inline std::vector<std::uint8_t> encode(const SyncMessage& m) {
  detail::Writer w;
  std::size_t size = 20;
  for (const SyncEntry& e : m.entries) size += encoded_size(*e.digest);
  w.bytes.reserve(size);
  w.put(detail::sync_magic);
  w.put(static_cast<std::uint32_t>(index_of(m.from)));
  w.put(m.sequence);
  w.put(static_cast<std::uint32_t>(m.entries.size()));
  for (const SyncEntry& e : m.entries) {
    const ServerDigest& d = *e.digest;
    w.put(static_cast<std::uint32_t>(index_of(d.server)));
    w.put(d.version);
    w.put(d.free_memory.count);
    w.put(static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(e.age).count())));
    w.put(static_cast<std::uint16_t>(d.instances.size()));
    w.put(static_cast<std::uint16_t>(d.demand.size()));
    for (const InstanceDigest& i : d.instances) {
      w.put(static_cast<std::uint32_t>(index_of(i.service)));
      w.duration32(i.queue);
      w.duration32(i.compute);
      w.duration32(i.item_work);
      w.put(i.spare_rate);
    }
    for (const DemandDigest& x : d.demand) {
      w.put(static_cast<std::uint32_t>(index_of(x.service)));
      w.put(x.rate);
    }
  }
  return std::move(w.bytes);
}

/// Decodes a message; InvalidArgument for anything that is not one (wrong magic, truncation,
/// trailing bytes, counts that do not fit the data).
inline SyncMessage decode(std::span<const std::uint8_t> data) {
  detail::Reader r(data);
  EPARA_EXPECTS(data.size() >= 20 && r.get<std::uint32_t>() == detail::sync_magic,
                "sync message: not a libepara sync message");
  SyncMessage m;
  m.from = ServerId{r.get<std::uint32_t>()};
  m.sequence = r.get<std::uint64_t>();
  const auto entries = r.get<std::uint32_t>();
  EPARA_EXPECTS(entries <= r.left() / 32, "sync message: more entries than bytes");
  m.entries.reserve(entries);
  for (std::uint32_t k = 0; k < entries; ++k) {
    auto digest = std::make_shared<ServerDigest>();
    ServerDigest& d = *digest;
    d.server = ServerId{r.get<std::uint32_t>()};
    d.version = r.get<std::uint64_t>();
    d.free_memory = Bytes{r.get<std::int64_t>()};
    const auto age_us = r.get<std::uint64_t>();
    // An entry older than a day has long expired; a larger age would overflow as nanoseconds.
    EPARA_EXPECTS(age_us <= detail::max_age_us, "sync message: an entry's age is beyond a day");
    const auto age = std::chrono::microseconds(static_cast<std::int64_t>(age_us));
    const auto instances = r.get<std::uint16_t>();
    const auto demand = r.get<std::uint16_t>();
    EPARA_EXPECTS(20u * instances + 8u * demand <= r.left(),
                  "sync message: entry lists longer than the message");
    for (std::uint16_t i = 0; i < instances; ++i) {
      InstanceDigest x;
      x.service = ServiceId{r.get<std::uint32_t>()};
      x.queue = r.duration32();
      x.compute = r.duration32();
      x.item_work = r.duration32();
      x.spare_rate = r.get<float>();
      d.instances.push_back(x);
    }
    for (std::uint16_t i = 0; i < demand; ++i) {
      DemandDigest x;
      x.service = ServiceId{r.get<std::uint32_t>()};
      x.rate = r.get<float>();
      d.demand.push_back(x);
    }
    m.entries.push_back({std::move(digest), age});
  }
  EPARA_EXPECTS(r.done(), "sync message: trailing bytes");
  return m;
}

}  // namespace epara
