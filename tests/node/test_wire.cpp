// A node in-process on a loopback port, and what arrives over the wire: valid requests are
// served with the reference model's numbers; malformed ones get a gRPC error naming the
// problem, and the node stays up.
#include <catch2/catch.hpp>

#include <grpcpp/generic/generic_stub.h>
#include <sstream>

#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"
#include "node.hpp"

using namespace epara;

namespace {
const char* cloud = R"({
  "device_classes": [{"name": "host", "kind": "gpu", "memory_gib": 8, "relative_speed": 1}],
  "servers": [{"name": "solo", "kind": "edge_server", "gpus": [{"device_class": "host", "count": 1}]}],
  "network": {"links": []},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "host", "gpus": 1,
    "max_batch": 8, "points": [{"batch": 1, "latency_ms": 1}, {"batch": 8, "latency_ms": 4}]}]}],
  "services": [{"name": "m", "profile": "p", "model_memory_gib": 0.1, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 2000}}],
  "demand": [{"service": "m", "origin": "solo", "rate_per_s": 10}],
  "deployment": {"nodes": [{"server": "solo", "address": "127.0.0.1:0"}],
                 "models": [{"service": "m", "model": "dense", "widths": [4, 8, 3], "seed": 5,
                             "max_batch": 8}],
                 "max_message_mib": 1}
})";

struct Fixture {
  Fixture()
      : scenario(io::parse_scenario(cloud, "cloud.json")),
        node(scenario, io::parse_deployment(cloud, "cloud.json", scenario), ServerId{0}, log) {
    node.start();
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(node.port()),
                                  grpc::InsecureChannelCredentials());
    stub = inference::GRPCInferenceService::NewStub(channel);
  }
  ~Fixture() { node.shutdown(); }

  grpc::Status infer(const inference::ModelInferRequest& request,
                     inference::ModelInferResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->ModelInfer(&context, request, &response);
  }
  bool live() {
    grpc::ClientContext context;
    inference::ServerLiveResponse r;
    return stub->ServerLive(&context, {}, &r).ok() && r.live();
  }

  std::ostringstream log;
  Scenario scenario;
  node::Node node;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub;
};

inference::ModelInferRequest request_of(const std::string& model, const std::string& type,
                                        std::vector<std::int64_t> shape,
                                        const std::vector<float>& values) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  auto* t = r.add_inputs();
  t->set_name("input");
  t->set_datatype(type);
  for (auto d : shape) t->add_shape(d);
  t->mutable_contents()->mutable_fp32_contents()->Add(values.begin(), values.end());
  return r;
}
}  // namespace

TEST_CASE("a node serves the Open Inference Protocol and survives bad input", "[node]") {
  Fixture f;
  REQUIRE(f.live());
  const std::vector<float> two_rows{0.5f, -1.0f, 2.0f, 0.25f, 1.0f, 1.5f, -0.5f, 0.75f};

  SECTION("a batch of two rows gets the reference model's output") {
    inference::ModelInferResponse response;
    REQUIRE(f.infer(request_of("m", "FP32", {2, 4}, two_rows), response).ok());
    exec::CpuDenseChain reference(exec::make_dense_chain({4, 8, 3}, 5), 2);
    std::vector<float> want(6);
    reference.forward(two_rows, want, 2);
    const auto& got = response.outputs(0).contents().fp32_contents();
    REQUIRE(got.size() == 6);
    for (int i = 0; i < 6; ++i) CHECK(got[i] == Approx(want[static_cast<std::size_t>(i)]));
    CHECK(response.outputs(0).shape(0) == 2);
    CHECK(response.parameters().at("served_by").string_param() == "solo");
    CHECK(response.parameters().at("hops").int64_param() == 0);
  }

  SECTION("malformed requests: a clear status each, and the node stays up") {
    inference::ModelInferResponse response;
    grpc::Status s = f.infer(request_of("nope", "FP32", {1, 4}, {1, 2, 3, 4}), response);
    CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(s.error_message() == "unknown model 'nope'");
    s = f.infer(request_of("m", "INT32", {1, 4}, {1, 2, 3, 4}), response);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message() == "input 'input': datatype INT32, expected FP32");
    s = f.infer(request_of("m", "FP32", {1, 3}, {1, 2, 3}), response);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(s.error_message() == "input 'input': shape [1, 3], expected [batch (1-4096), 4]");
    s = f.infer(request_of("m", "FP32", {2, 4}, {1, 2, 3, 4}), response);
    CHECK(s.error_message() == "input 'input': 4 FP32 values, expected 8");
    inference::ModelInferRequest raw = request_of("m", "FP32", {1, 4}, {});
    raw.add_raw_input_contents(std::string(10, 'x'));
    s = f.infer(raw, response);
    CHECK(s.error_message() == "input 'input': 10 raw bytes, expected 16");
    // Over the node's 1 MiB message limit.
    s = f.infer(request_of("m", "FP32", {70000, 4}, std::vector<float>(280000, 1.0f)), response);
    CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    // Bytes that are no protobuf at all.
    grpc::GenericStub generic(f.channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const std::string garbage = "\xff\xff\xff\xff garbage";
    grpc::Slice slice(garbage);
    grpc::ByteBuffer in(&slice, 1), out;
    grpc::CompletionQueue cq;
    auto call =
        generic.PrepareUnaryCall(&context, "/inference.GRPCInferenceService/ModelInfer", in, &cq);
    call->StartCall();
    grpc::Status garbage_status;
    call->Finish(&out, &garbage_status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    REQUIRE(cq.Next(&tag, &ok));
    CHECK_FALSE(garbage_status.ok());
    CHECK(f.live());
    REQUIRE(f.infer(request_of("m", "FP32", {4}, {1, 2, 3, 4}), response).ok());
  }
}

TEST_CASE("metadata and readiness", "[node]") {
  Fixture f;
  grpc::ClientContext c1, c2, c3;
  inference::ModelMetadataRequest meta_request;
  meta_request.set_name("m");
  inference::ModelMetadataResponse meta;
  REQUIRE(f.stub->ModelMetadata(&c1, meta_request, &meta).ok());
  CHECK(meta.inputs(0).shape(1) == 4);
  CHECK(meta.outputs(0).shape(1) == 3);
  inference::ModelReadyRequest ready_request;
  ready_request.set_name("m");
  inference::ModelReadyResponse ready;
  REQUIRE(f.stub->ModelReady(&c2, ready_request, &ready).ok());
  CHECK(ready.ready());
  inference::ServerReadyResponse server_ready;
  REQUIRE(f.stub->ServerReady(&c3, {}, &server_ready).ok());
  CHECK(server_ready.ready());
}
