#pragma once
// How a scenario's cluster runs as real epara-node processes: the `deployment` section of the
// scenario (docs/deployment.md). Read with io::parse_deployment.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "epara/exec/tensor_spec.hpp"
#include "epara/model/ids.hpp"
#include "epara/units.hpp"

namespace epara {

/// The model a node runs for a service.
struct ModelSpec {
  ServiceId service{};
  /// The reference models (docs/executors.md), or a TorchScript file of a model repository.
  enum class Kind { Dense, Attention, Identity, TorchScript } kind = Kind::Dense;
  std::vector<std::size_t> widths{};  ///< dense: input width first
  std::size_t tokens = 0, dim = 0;    ///< attention
  /// The tensors a request brings and gets back (for the reference models, what their widths,
  /// tokens and dim make; for identity and torchscript, as declared).
  std::vector<exec::TensorSpec> inputs{}, outputs{};
  std::string file{};  ///< torchscript: the model.pt
  std::uint64_t seed = 1;
  std::size_t max_batch = 32;
};

struct NodeAddress {
  ServerId server{};
  std::string address;         ///< host:port clients reach it at
  std::string peer_address{};  ///< host:port of its peer RPCs; empty: `address` serves them too

  const std::string& peer_endpoint() const { return peer_address.empty() ? address : peer_address; }
};

/// Mutual TLS on the peer port: each node presents `cert` (signed by `ca`) and accepts only a
/// peer whose certificate `ca` signed. PEM text, read from the files the deployment names.
struct PeerTls {
  std::string ca, cert, key;
};

struct Deployment {
  std::vector<NodeAddress> nodes{};  ///< in ring order
  std::vector<ModelSpec> models{};
  Duration sync_period = std::chrono::milliseconds(100);
  Duration entry_ttl = std::chrono::seconds(1);  ///< a silent node's state expires after this
  Duration placement_period = std::chrono::seconds(5);
  std::optional<ServerId> scheduler{};  ///< nullopt: the lowest live node
  std::size_t max_message_bytes = 4 << 20;
  int hop_limit = 3;
  Duration drain_timeout = std::chrono::seconds(5);
  /// Every peer call (offload, sync, placement) carries this and a node refuses one that does
  /// not (read from `peer_secret_file`); empty: peer calls are not authenticated.
  std::string peer_secret{};
  /// Set: peer RPCs run over mutual TLS (every node then has a peer_address of its own, so
  /// clients keep a plaintext port).
  std::optional<PeerTls> peer_tls{};

  const NodeAddress* node(ServerId s) const {
    for (const NodeAddress& n : nodes)
      if (n.server == s) return &n;
    return nullptr;
  }
  const ModelSpec* model(ServiceId s) const {
    for (const ModelSpec& m : models)
      if (m.service == s) return &m;
    return nullptr;
  }
};

}  // namespace epara
