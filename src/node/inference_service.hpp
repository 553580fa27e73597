#pragma once
// The Open Inference Protocol (KServe v2) face of a node: health, metadata, ModelInfer. A model
// is a service of the scenario; its inputs and outputs are the tensors its model declares,
// batched: [batch, item dims...] (or [item dims...] for one item), of any datatype the
// executors take (tensor_wire.hpp). Malformed requests get INVALID_ARGUMENT / NOT_FOUND with the
// reason; the node is never at risk.

#include "node.hpp"

namespace epara::node {

class Node::InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  explicit InferenceService(Node& node) : node_(node) {}

  grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                          inference::ServerLiveResponse* out) override;
  grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                           inference::ServerReadyResponse* out) override;
  grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* in,
                          inference::ModelReadyResponse* out) override;
  grpc::Status ServerMetadata(grpc::ServerContext*, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* out) override;
  grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* in,
                             inference::ModelMetadataResponse* out) override;
  grpc::Status ModelInfer(grpc::ServerContext* context, const inference::ModelInferRequest* in,
                          inference::ModelInferResponse* out) override;
  /// Each request of the stream runs as ModelInfer would, several at once (so a stream's frames
  /// can share passes and instances); the answers leave in the order the requests came, a
  /// request that fails answering with its error_message while the stream goes on.
  grpc::Status ModelStreamInfer(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<inference::ModelStreamInferResponse, inference::ModelInferRequest>*
          stream) override;

 private:
  grpc::Status RepositoryIndex(grpc::ServerContext*, const inference::RepositoryIndexRequest* in,
                               inference::RepositoryIndexResponse* out) override;
  grpc::Status ModelStatistics(grpc::ServerContext*, const inference::ModelStatisticsRequest* in,
                               inference::ModelStatisticsResponse* out) override;
  /// What the node runs for a model: tensors, largest batch, batching delay, instances here.
  grpc::Status ModelConfig(grpc::ServerContext*, const inference::ModelConfigRequest* in,
                           inference::ModelConfigResponse* out) override;

 private:
  /// Runs one request and counts it in the metrics (ModelInfer, and each of a stream's).
  /// `stream`: the client stream it belongs to (Node::serve), 0 for none.
  grpc::Status answer(grpc::ServerContext* context, const inference::ModelInferRequest& in,
                      inference::ModelInferResponse& out, std::uint64_t stream = 0);
  /// The answer to one request of a stream.
  inference::ModelStreamInferResponse answer_in_stream(grpc::ServerContext* context,
                                                       const inference::ModelInferRequest& in,
                                                       std::uint64_t stream);
  /// answer()'s work; `late`: a served request finished after its deadline; `items`: rows.
  grpc::Status infer(grpc::ServerContext* context, const inference::ModelInferRequest& in,
                     inference::ModelInferResponse& out, std::uint64_t stream, bool& late,
                     std::size_t& items);
  /// The service named `model` with a runtime, or NOT_FOUND naming it.
  grpc::Status find_model(const std::string& model, ServiceId& service) const;
  Node& node_;
};

}  // namespace epara::node
