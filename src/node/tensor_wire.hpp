#pragma once
// A request's items as they travel: from and to the Open Inference Protocol's batched tensors
// (clients), and item by item between nodes (offloading). Every dtype of exec::Tensor, raw or
// typed contents; malformed input is an INVALID_ARGUMENT naming the tensor.

#include <grpcpp/grpcpp.h>

#include <span>
#include <string>
#include <vector>

#include "epara/exec/tensor_spec.hpp"
#include "epara/peer.pb.h"
#include "inference/grpc_predict_v2.pb.h"

namespace epara::node {

/// Most items one request may carry, from a client or from a peer: work a node admits at once
/// whatever the model's batch.
inline constexpr std::int64_t max_request_items = 4096;

/// A request's items, each its tensors in the model's order.
using Items = std::vector<std::vector<exec::Tensor>>;

/// The items of a client's request for a model taking `specs`: each input tensor named as a
/// spec, of its datatype, of shape [batch, item dims...] (or [item dims...] for one item),
/// batch 1..max_items and the same for every input; contents raw (every input) or typed
/// (FP16 only raw).
grpc::Status read_request(const inference::ModelInferRequest& in,
                          std::span<const exec::TensorSpec> specs, std::int64_t max_items,
                          Items& items);

/// The response's tensors: for each spec, the items' outputs stacked into [batch, dims...]
/// (items of one request must agree on their outputs' shapes). Raw contents when `raw` or when
/// an output is FP16, typed otherwise.
grpc::Status write_response(const Items& outputs, std::span<const exec::TensorSpec> specs, bool raw,
                            inference::ModelInferResponse& out);

/// Items into a peer message.
void to_peer(const Items& items, google::protobuf::RepeatedPtrField<peer::Item>& out);

/// Items from a peer message; a tensor whose type, shape and bytes disagree is an
/// INVALID_ARGUMENT.
grpc::Status from_peer(const google::protobuf::RepeatedPtrField<peer::Item>& in, Items& items);

}  // namespace epara::node
