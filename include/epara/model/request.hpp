#pragma once
// A unit of inference work: one request, or one item (frame, token) of a stream.

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

struct Request {
  RequestId id{};
  ServiceId service{};
  ServerId origin{};  ///< the server the user sent it to
  Time arrival{};
  Time deadline{};  ///< arrival + the SLO's (per-item) deadline
  Bytes payload{};
  std::optional<StreamPosition> stream{};  ///< set for items of a frequency-sensitive stream

  friend bool operator==(const Request&, const Request&) = default;
};

}  // namespace epara
