#include "peer_service.hpp"

#include <fmt/format.h>

#include "quoted_name.hpp"
#include "tensor_wire.hpp"

namespace epara::node {

namespace {

const grpc::Status unauthenticated{grpc::StatusCode::UNAUTHENTICATED,
                                   "peer call without the deployment's peer secret"};
// Farther than any deadline a request may carry: beyond it, now + deadline could overflow.
constexpr std::int64_t deadline_limit_ns = std::int64_t{3600} * 1'000'000'000;

}  // namespace

grpc::Status Node::PeerService::Offload(grpc::ServerContext* context,
                                        const epara::peer::OffloadRequest* in,
                                        epara::peer::OffloadReply* out) {
  if (!node_.authentic(*context)) return unauthenticated;
  if (in->deadline_left_ns() > deadline_limit_ns || in->deadline_left_ns() < -deadline_limit_ns)
    return {grpc::StatusCode::INVALID_ARGUMENT,
            fmt::format("offload: deadline_left_ns {} is beyond an hour", in->deadline_left_ns())};
  const auto found = node_.model_named(in->service());
  if (!found)
    return {grpc::StatusCode::NOT_FOUND,
            fmt::format("unknown model {}", quoted_name(in->service()))};
  const ServiceId service = *found;
  const Scenario& s = node_.scenario();
  if (in->items_size() == 0) return {grpc::StatusCode::INVALID_ARGUMENT, "offload: no items"};
  if (in->items_size() > max_request_items)
    return {grpc::StatusCode::INVALID_ARGUMENT,
            fmt::format("offload: {} items, more than {}", in->items_size(), max_request_items)};
  Items items;
  if (grpc::Status bad = from_peer(in->items(), items); !bad.ok()) return bad;
  Route route;
  for (std::uint32_t server : in->route()) {
    if (server >= s.cluster.servers.size() || !route.enter(id_at<ServerId>(server)))
      return {grpc::StatusCode::INVALID_ARGUMENT, "offload: bad route"};
  }
  Served served;
  const Time deadline = exec::now() + Duration{in->deadline_left_ns()};
  grpc::Status status =
      node_.serve(service, std::move(items), deadline, route, served, in->stream());
  node_.metrics().offload(in->service(), false, status.ok());
  if (!status.ok()) return status;
  to_peer(served.outputs, *out->mutable_outputs());
  out->set_served_by(static_cast<std::uint32_t>(index_of(served.served_by)));
  out->set_hops(static_cast<std::uint32_t>(served.hops));
  out->set_late(served.late);
  return grpc::Status::OK;
}

grpc::Status Node::PeerService::Sync(grpc::ServerContext* context,
                                     const epara::peer::SyncRequest* in,
                                     epara::peer::SyncReply* out) {
  if (!node_.authentic(*context)) return unauthenticated;
  SyncMessage message;
  try {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(in->message().data());
    message = decode(std::span<const std::uint8_t>(bytes, in->message().size()));
  } catch (const Error& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("sync: {}", e.what())};
  }
  const SyncAck ack = node_.receive_sync(message);
  out->set_from(static_cast<std::uint32_t>(index_of(ack.from)));
  out->set_sequence(ack.sequence);
  return grpc::Status::OK;
}

grpc::Status Node::PeerService::PushPlacement(grpc::ServerContext* context,
                                              const epara::peer::PlacementRequest* in,
                                              epara::peer::PlacementReply* out) {
  if (!node_.authentic(*context)) return unauthenticated;
  const Deployment& d = node_.deployment();
  if (in->from() >= node_.scenario().cluster.servers.size() || !d.node(id_at<ServerId>(in->from())))
    return {grpc::StatusCode::INVALID_ARGUMENT,
            fmt::format("placement: from {} is no node of the deployment", in->from())};
  try {
    node_.apply_placement(in->epoch(), in->placement_json());
  } catch (const Error& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("placement: {}", e.what())};
  }
  out->set_applied_epoch(node_.placement_epoch());
  return grpc::Status::OK;
}

}  // namespace epara::node
