#pragma once
// What the request handler decides for one request: exactly one of run it here, send it to one
// peer, or reject it with a reason.

#include <cstdint>
#include <string_view>
#include <variant>

#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

/// Run on a local instance (an index the local state defines). `late`: no server could finish
/// it by its deadline, and running it here is the best left.
struct RunLocal {
  std::uint32_t instance = 0;
  Time predicted_finish{};
  bool late = false;
  friend bool operator==(const RunLocal&, const RunLocal&) = default;
};

/// Send to `server`, which decides again on arrival.
struct Offload {
  ServerId server{};
  Time predicted_finish{};
  friend bool operator==(const Offload&, const Offload&) = default;
};

enum class RejectReason {
  NoInstance,    ///< no server in view hosts the service
  Overloaded,    ///< hosts exist, but none reachable and unvisited can finish in time
  HopLimit,      ///< the request may not be offloaded again, and cannot run here
  ServerFailed,  ///< the server that held it failed (recorded by the embedder)
};

constexpr std::string_view to_string(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::NoInstance:
      return "no-instance";
    case RejectReason::Overloaded:
      return "overloaded";
    case RejectReason::HopLimit:
      return "hop-limit";
    case RejectReason::ServerFailed:
      return "server-failed";
  }
  return "?";
}

struct Reject {
  RejectReason reason = RejectReason::NoInstance;
  friend bool operator==(const Reject&, const Reject&) = default;
};

using Decision = std::variant<RunLocal, Offload, Reject>;

}  // namespace epara
