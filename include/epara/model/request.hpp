#pragma once
// A unit of inference work: one request, or one item (frame, token) of a stream.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

enum class RequestId : std::uint64_t {};
enum class StreamId : std::uint64_t {};

/// Where an item stands in its stream.
struct StreamPosition {
  StreamId stream{};
  std::uint64_t sequence = 0;  ///< 0, 1, 2 ... in arrival order
  friend bool operator==(const StreamPosition&, const StreamPosition&) = default;
};

/// The servers a request has visited, in order: what makes offloading loop-free. Fixed capacity
/// (no allocation per request); the hop limit keeps paths shorter than that.
struct Route {
  static constexpr std::size_t capacity = 8;
  std::array<ServerId, capacity> servers{};
  std::uint8_t count = 0;

  bool visited(ServerId s) const noexcept {
    for (std::uint8_t i = 0; i < count; ++i)
      if (servers[i] == s) return true;
    return false;
  }
  /// Offloads so far: every server after the first.
  int hops() const noexcept { return count == 0 ? 0 : count - 1; }
  /// Records arriving at `s`; false when the route is full.
  bool enter(ServerId s) noexcept {
    if (count == capacity) return false;
    servers[count++] = s;
    return true;
  }
  friend bool operator==(const Route& a, const Route& b) {
    return a.count == b.count &&
           std::equal(a.servers.begin(), a.servers.begin() + a.count, b.servers.begin());
  }
};

struct Request {
  RequestId id{};
  ServiceId service{};
  ServerId origin{};  ///< the server the user sent it to
  Time arrival{};
  Time deadline{};  ///< arrival + the SLO's (per-item) deadline
  Bytes payload{};
  std::optional<StreamPosition> stream{};  ///< set for items of a frequency-sensitive stream
  Route route{};                           ///< the servers it has been at, the origin first

  friend bool operator==(const Request&, const Request&) = default;
};

}  // namespace epara
