#pragma once
// Servers of an edge cloud: multi-GPU edge servers, embedded boards, CPU-only microcomputers.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epara/model/ids.hpp"

namespace epara {

enum class ServerKind {
  EdgeServer,     ///< several GPUs
  EmbeddedBoard,  ///< one small GPU (Jetson-class)
  Microcomputer,  ///< CPU only
};

constexpr std::string_view to_string(ServerKind k) noexcept {
  switch (k) {
    case ServerKind::EdgeServer:
      return "edge_server";
    case ServerKind::EmbeddedBoard:
      return "embedded_board";
    case ServerKind::Microcomputer:
      return "microcomputer";
  }
  return "?";
}

/// One machine: its GPUs (one entry per GPU, by class) and, optionally, a CPU that can run
/// CPU-capable services. A microcomputer has no GPUs and must have a CPU.
struct ServerSpec {
  std::string name{};
  ServerKind kind = ServerKind::EdgeServer;
  std::vector<DeviceClassId> gpus{};
  std::optional<DeviceClassId> cpu{};

  friend bool operator==(const ServerSpec&, const ServerSpec&) = default;
};

}  // namespace epara
