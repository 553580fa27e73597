// Fuzzes the decoders of what arrives over the network at a node: a client's Open Inference
// Protocol request (ModelInferRequest, typed or raw contents) and a peer's offloaded items
// (OffloadRequest). The first input byte picks the decoder, the rest is the serialized
// message. A decoded request must encode back to a response the decoder reads again alike.

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tensor_wire.hpp"

namespace {

using epara::exec::DType;
using epara::exec::TensorSpec;

// A model taking every dtype, one of them of variable length (tests/node's identity model).
const std::vector<TensorSpec>& specs() {
  static const std::vector<TensorSpec> s{{"f", DType::FP32, {2}},
                                         {"h", DType::FP16, {2}},
                                         {"tokens", DType::INT64, {TensorSpec::any}},
                                         {"i", DType::INT32, {1}},
                                         {"u", DType::UINT8, {3}},
                                         {"s", DType::BYTES, {2}}};
  return s;
}

constexpr std::int64_t max_items = 64;

void client_request(const std::uint8_t* data, std::size_t size) {
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  epara::node::Items items;
  if (!epara::node::read_request(request, specs(), max_items, items).ok()) return;
  if (items.empty() || items.size() > static_cast<std::size_t>(max_items)) std::abort();
  // What the identity model would answer: the inputs as outputs, raw as the client sent them.
  inference::ModelInferResponse response;
  const bool raw = request.raw_input_contents_size() > 0;
  if (!epara::node::write_response(items, specs(), raw, response).ok()) std::abort();
}

void peer_items(const std::uint8_t* data, std::size_t size) {
  epara::peer::OffloadRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  epara::node::Items items;
  if (!epara::node::from_peer(request.items(), items).ok()) return;
  // Items a node passes on to the next peer must read back the same.
  google::protobuf::RepeatedPtrField<epara::peer::Item> again;
  epara::node::to_peer(items, again);
  epara::node::Items read;
  if (!epara::node::from_peer(again, read).ok() || read != items) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0)
    client_request(data + 1, size - 1);
  else
    peer_items(data + 1, size - 1);
  return 0;
}
