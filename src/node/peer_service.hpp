#pragma once
// The node-to-node face: offloaded requests, ring-sync messages, placements.

#include "node.hpp"

namespace epara::node {

class Node::PeerService final : public epara::peer::Peer::Service {
 public:
  explicit PeerService(Node& node) : node_(node) {}

  grpc::Status Offload(grpc::ServerContext*, const epara::peer::OffloadRequest* in,
                       epara::peer::OffloadReply* out) override;
  grpc::Status Sync(grpc::ServerContext*, const epara::peer::SyncRequest* in,
                    epara::peer::SyncReply* out) override;
  grpc::Status PushPlacement(grpc::ServerContext*, const epara::peer::PlacementRequest* in,
                             epara::peer::PlacementReply* out) override;

 private:
  Node& node_;
};

}  // namespace epara::node
