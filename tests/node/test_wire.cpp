// A node in-process on a loopback port, and what arrives over the wire: valid requests are
// served with the reference model's numbers; malformed ones get a gRPC error naming the
// problem, and the node stays up.
#include <catch2/catch.hpp>

#include <grpcpp/generic/generic_stub.h>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "epara/exec/random_inputs.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"
#include "node.hpp"

// After every header that may include Eigen: with OpenSSL, httplib.h includes <resolv.h>,
// whose `_res` macro breaks Eigen's product kernels.
#include <httplib.h>

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
  explicit Fixture(const std::string& text = cloud)
      : scenario(io::parse_scenario(text, "cloud.json")),
        node(scenario, io::parse_deployment(text, "cloud.json", scenario), ServerId{0}, log) {
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

// What ModelConfig says of `model` (the call must succeed).
inference::ModelConfig model_config(Fixture& f, const std::string& model) {
  grpc::ClientContext context;
  inference::ModelConfigRequest request;
  request.set_name(model);
  inference::ModelConfigResponse response;
  REQUIRE(f.stub->ModelConfig(&context, request, &response).ok());
  return response.config();
}

// The test cloud with a deployment setting added (`"key": value`).
std::string cloud_with(const std::string& setting) {
  std::string text = cloud;
  text.insert(text.find(R"("max_message_mib": 1)"), setting + ", ");
  return text;
}

std::unique_ptr<grpc::ClientContext> context_for(const std::string& secret = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (!secret.empty()) context->AddMetadata("epara-peer-secret", secret);
  return context;
}

epara::peer::PlacementRequest placement(std::uint64_t epoch, const std::string& json,
                                        std::uint32_t from = 0) {
  epara::peer::PlacementRequest r;
  r.set_epoch(epoch);
  r.set_from(from);
  r.set_placement_json(json);
  return r;
}

// Pushes {"instances": [`instances`]} to `node` as the next placement epoch.
grpc::Status push_instances(const std::shared_ptr<grpc::Channel>& channel, const node::Node& node,
                            const std::string& instances) {
  epara::peer::PlacementReply placed;
  return epara::peer::Peer::NewStub(channel)->PushPlacement(
      context_for().get(),
      placement(node.placement_epoch() + 1, R"({"instances": [)" + instances + "]}"), &placed);
}

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
    // A 64 KiB name once came back RESOURCE_EXHAUSTED: the message exceeded gRPC's metadata.
    s = f.infer(request_of(std::string(65536, 'x'), "FP32", {1, 4}, {1, 2, 3, 4}), response);
    CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(s.error_message() == "unknown model '" + std::string(64, 'x') + "...' (65536 bytes)");
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

// The test cloud serving the identity model on tensors of every type.
std::string identity_cloud() {
  std::string text = cloud;
  const std::string dense = R"("model": "dense", "widths": [4, 8, 3], "seed": 5,)";
  text.replace(text.find(dense), dense.size(), R"("model": "identity", "tensors": [
      {"name": "f", "datatype": "FP32", "dims": [2]}, {"name": "h", "datatype": "FP16", "dims": [2]},
      {"name": "tokens", "datatype": "INT64", "dims": [-1]},
      {"name": "i", "datatype": "INT32", "dims": [1]}, {"name": "u", "datatype": "UINT8", "dims": [3]},
      {"name": "s", "datatype": "BYTES", "dims": [2]}],)");
  return text;
}

// An input of `request` named `name`, of `type` and `shape`.
inference::ModelInferRequest::InferInputTensor& add_input(inference::ModelInferRequest& request,
                                                          const std::string& name,
                                                          const std::string& type,
                                                          std::vector<std::int64_t> shape) {
  auto& t = *request.add_inputs();
  t.set_name(name);
  t.set_datatype(type);
  for (auto d : shape) t.add_shape(d);
  return t;
}

TEST_CASE("every datatype round-trips through a node in typed and raw contents", "[node]") {
  Fixture f(identity_cloud());
  inference::ModelMetadataResponse meta;
  {
    grpc::ClientContext context;
    inference::ModelMetadataRequest request;
    request.set_name("m");
    REQUIRE(f.stub->ModelMetadata(&context, request, &meta).ok());
  }
  REQUIRE(meta.inputs_size() == 6);
  CHECK(meta.inputs(2).datatype() == "INT64");
  CHECK(std::vector<std::int64_t>(meta.inputs(2).shape().begin(), meta.inputs(2).shape().end()) ==
        std::vector<std::int64_t>{-1, -1});
  CHECK(model_config(f, "m").input(5).data_type() == inference::TYPE_STRING);

  // Raw: two items of every type, FP16 included; what comes back is byte for byte what went.
  const auto items =
      exec::random_items(f.node.deployment().models[0].inputs, 2, {5, std::int64_t{1} << 40}, 3);
  inference::ModelInferRequest raw;
  raw.set_model_name("m");
  for (std::size_t j = 0; j < items[0].size(); ++j) {
    std::vector<std::int64_t> shape{2};
    for (auto d : items[0][j].shape()) shape.push_back(d);
    add_input(raw, std::string(f.node.deployment().models[0].inputs[j].name),
              std::string(to_string(items[0][j].dtype())), shape);
    std::string& bytes = *raw.add_raw_input_contents();
    for (const auto& item : items)
      bytes.append(reinterpret_cast<const char*>(item[j].bytes().data()), item[j].bytes().size());
  }
  inference::ModelInferResponse response;
  REQUIRE(f.infer(raw, response).ok());
  REQUIRE(response.raw_output_contents_size() == 6);
  for (int j = 0; j < 6; ++j) {
    CHECK(response.outputs(j).name() == raw.inputs(j).name());
    CHECK(response.outputs(j).datatype() == raw.inputs(j).datatype());
    CHECK(response.outputs(j).shape(0) == 2);
    CHECK(response.raw_output_contents(j) == raw.raw_input_contents(j));
  }
  auto cut = raw;  // BYTES raw contents that overrun, or leave bytes over
  cut.mutable_raw_input_contents(5)->pop_back();
  CHECK(f.infer(cut, response).error_message() ==
        "input 's': raw BYTES end inside element 1 of item 1");
  cut = raw;
  cut.mutable_raw_input_contents(5)->push_back('x');
  CHECK(f.infer(cut, response).error_message() ==
        "input 's': 1 raw bytes left after 4 BYTES elements");
  cut = raw;
  cut.mutable_raw_input_contents(0)->pop_back();
  CHECK(f.infer(cut, response).error_message() == "input 'f': 15 raw bytes, expected 16");

  // Typed contents (FP16 has none: an error saying so), then without FP16 in another cloud.
  inference::ModelInferRequest typed;
  typed.set_model_name("m");
  const auto fill = [](auto& field, auto... values) { (field.Add(values), ...); };
  fill(*add_input(typed, "f", "FP32", {2, 2}).mutable_contents()->mutable_fp32_contents(), 1.5f,
       -2.0f, 3.0f, 4.0f);
  add_input(typed, "h", "FP16", {2, 2});
  fill(*add_input(typed, "tokens", "INT64", {2, 3}).mutable_contents()->mutable_int64_contents(),
       std::int64_t{1}, std::int64_t{2}, std::int64_t{1} << 40, std::int64_t{4}, std::int64_t{5},
       std::int64_t{6});
  fill(*add_input(typed, "i", "INT32", {2, 1}).mutable_contents()->mutable_int_contents(), -7, 8);
  fill(*add_input(typed, "u", "UINT8", {2, 3}).mutable_contents()->mutable_uint_contents(), 0u,
       255u, 9u, 1u, 2u, 3u);
  auto& text = add_input(typed, "s", "BYTES", {2, 2});
  for (const char* word : {"a", "", "héllo", "x"})
    text.mutable_contents()->add_bytes_contents(word);
  grpc::Status s = f.infer(typed, response);
  CHECK(s.error_message() == "input 'h': FP16 travels only as raw_input_contents");

  std::string no_half = identity_cloud();
  const std::string half = R"({"name": "h", "datatype": "FP16", "dims": [2]},)";
  no_half.erase(no_half.find(half), half.size());
  Fixture g(no_half);
  typed.mutable_inputs()->erase(typed.mutable_inputs()->begin() + 1);
  response.Clear();
  REQUIRE(g.infer(typed, response).ok());
  REQUIRE(response.outputs_size() == 5);
  CHECK(response.raw_output_contents_size() == 0);
  for (int j = 0; j < 5; ++j) {
    CHECK(std::equal(response.outputs(j).shape().begin(), response.outputs(j).shape().end(),
                     typed.inputs(j).shape().begin(), typed.inputs(j).shape().end()));
    CHECK(response.outputs(j).contents().SerializeAsString() ==
          typed.inputs(j).contents().SerializeAsString());
  }

  // Bad requests, each named.
  const auto error = [&](const inference::ModelInferRequest& r) {
    inference::ModelInferResponse ignored;
    return g.infer(r, ignored).error_message();
  };
  auto bad = typed;
  bad.mutable_inputs(3)->mutable_contents()->set_uint_contents(1, 300);
  CHECK(error(bad) == "input 'u': value 300 is not a UINT8");
  bad = typed;
  bad.mutable_inputs(2)->set_shape(0, 3);
  CHECK(error(bad) == "input 'i' holds 3 items, input 'f' 2");
  bad = typed;
  bad.mutable_inputs(1)->set_datatype("INT32");
  CHECK(error(bad) == "input 'tokens': datatype INT32, expected INT64");
  bad = typed;
  bad.mutable_inputs(0)->set_name("g");
  CHECK(error(bad) ==
        "no input 'f' (the model takes 'f' FP32 [2], 'tokens' INT64 [-1], 'i' "
        "INT32 [1], 'u' UINT8 [3], 's' BYTES [2])");
  bad = typed;
  bad.mutable_inputs()->RemoveLast();
  CHECK_THAT(error(bad), Catch::StartsWith("expected 5 input tensors"));
  bad = typed;
  bad.mutable_inputs(4)->mutable_contents()->add_bytes_contents("extra");
  CHECK(error(bad) == "input 's': 5 BYTES values, expected 4");
  bad = typed;
  bad.add_raw_input_contents("x");
  CHECK(error(bad) == "1 raw_input_contents for 5 inputs: give one per input");
  bad = typed;  // raw contents beside the typed ones were once taken silently
  for (int j = 0; j < 5; ++j) bad.add_raw_input_contents("x");
  CHECK(error(bad) == "input 'f': values in both raw_input_contents and contents: give one");
  CHECK(g.live());
}

TEST_CASE("a node cannot listen where another one does", "[node]") {
  // gRPC's port sharing once let a second node start on a taken address.
  Fixture f;
  const Scenario s = io::parse_scenario(cloud, "cloud.json");
  std::ostringstream log;
  node::Node second(s, io::parse_deployment(cloud, "cloud.json", s), ServerId{0}, log);
  const std::string taken = "127.0.0.1:" + std::to_string(f.node.port());
  CHECK_THROWS_WITH(second.start(taken), "cannot listen on " + taken);
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

TEST_CASE("bad peer calls are refused and change nothing", "[node]") {
  Fixture f;
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  epara::peer::PlacementReply placed;
  const std::uint64_t epoch = f.node.placement_epoch();
  const auto push = [&](const epara::peer::PlacementRequest& r) {
    return peer->PushPlacement(context_for().get(), r, &placed);
  };
  std::string forty = R"({"instances": [)";
  for (int i = 0; i < 40; ++i)
    forty += std::string(i ? ", " : "") + R"({"service": "m", "server": "solo", "devices": [0]})";
  forty += "]}";
  grpc::Status s = push(placement(epoch + 1, forty));
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message() == "placement: 'm' is placed twice on a device of 'solo'");
  s = push(placement(~std::uint64_t{0}, R"({"instances": []})"));
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message() == "placement: epoch 18446744073709551615 is beyond 2^62");
  s = push(placement(epoch + 1, R"({"instances": []})", 7));
  CHECK(s.error_message() == "placement: from 7 is no node of the deployment");
  CHECK(f.node.placement_epoch() == epoch);  // nothing applied

  epara::peer::OffloadRequest offload;
  offload.set_service("m");
  epara::peer::OffloadReply offloaded;
  offload.set_deadline_left_ns(1'000'000'000);
  s = peer->Offload(context_for().get(), offload, &offloaded);
  CHECK(s.error_message() == "offload: no items");
  node::Items many(static_cast<std::size_t>(node::max_request_items) + 1,
                   {exec::Tensor::of(std::vector<float>{1, 2, 3, 4})});
  node::to_peer(many, *offload.mutable_items());
  s = peer->Offload(context_for().get(), offload, &offloaded);
  CHECK(s.error_message() == "offload: 4097 items, more than 4096");
  offload.clear_items();
  auto* bad = offload.add_items()->add_tensors();  // 12 bytes for 4 floats
  bad->set_datatype("FP32");
  bad->add_shape(4);
  bad->set_data(std::string(12, '\0'));
  s = peer->Offload(context_for().get(), offload, &offloaded);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message() == "offload: tensor: FP32 of shape [4] takes 16 bytes, got 12");
  bad->set_datatype("FP64");
  s = peer->Offload(context_for().get(), offload, &offloaded);
  CHECK(s.error_message() == "offload: datatype 'FP64'");
  offload.clear_items();
  node::to_peer({{exec::Tensor::of(std::vector<float>{1, 2, 3, 4})}}, *offload.mutable_items());
  for (const std::int64_t left :
       {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    offload.set_deadline_left_ns(left);
    s = peer->Offload(context_for().get(), offload, &offloaded);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("is beyond an hour"));
  }
  offload.set_deadline_left_ns(1'000'000'000);
  REQUIRE(peer->Offload(context_for().get(), offload, &offloaded).ok());
  REQUIRE(offloaded.outputs_size() == 1);
  CHECK(offloaded.outputs(0).tensors(0).shape(0) == 3);

  SyncMessage old;  // an entry whose age overflows as nanoseconds
  old.from = ServerId{0};
  old.entries.push_back(
      {std::make_shared<ServerDigest>(ServerDigest{ServerId{0}, 1, Bytes{}, {}, {}}),
       std::chrono::duration_cast<Duration>(std::chrono::hours(24 * 365))});
  const std::vector<std::uint8_t> bytes = encode(old);
  epara::peer::SyncRequest sync;
  sync.set_message(bytes.data(), bytes.size());
  epara::peer::SyncReply acked;
  s = peer->Sync(context_for().get(), sync, &acked);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message() == "sync: sync message: an entry's age is beyond a day");
  CHECK(f.live());
}

TEST_CASE("a scheduler places above an epoch it did not make", "[node]") {
  // A push with a far epoch (a scheduler before a partition healed, or a bad push) is applied,
  // but it does not lock the real scheduler out: it places above it.
  Fixture f(cloud_with(R"("sync_period_ms": 20, "entry_ttl_ms": 100, "placement_period_s": 0.3)"));
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  epara::peer::PlacementReply placed;
  const std::uint64_t far = 1'000'000'000'000'000;
  REQUIRE(peer->PushPlacement(context_for().get(), placement(far, R"({"instances": []})"), &placed)
              .ok());
  CHECK(placed.applied_epoch() == far);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.node.placement_epoch() <= far && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(f.node.placement_epoch() > far);
  // Its placement serves "m" again once the executor is built: the node takes an epoch before
  // it builds the epoch's executors (off the request path), so a request may come between.
  bool served = false;
  while (!served && std::chrono::steady_clock::now() < until) {
    inference::ModelInferResponse response;
    served = f.infer(request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(served);
}

TEST_CASE("with a peer secret, peer calls without it are refused but clients need none", "[node]") {
  const std::string path = "test_wire_peer_secret.txt";
  const std::string secret = "correct horse battery staple";
  std::ofstream(path) << secret << "\n";
  Fixture f(cloud_with(R"("peer_secret_file": ")" + path + R"(")"));
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  const std::uint64_t epoch = f.node.placement_epoch();
  epara::peer::PlacementReply placed;
  for (const std::string& wrong : {std::string(), std::string("correct horse battery stapl"),
                                   secret + "!", std::string(secret.size(), 'x')}) {
    const grpc::Status s =
        peer->PushPlacement(context_for(wrong).get(), placement(epoch + 1, "{}"), &placed);
    CHECK(s.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  epara::peer::SyncReply acked;
  CHECK(peer->Sync(context_for().get(), {}, &acked).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(f.node.placement_epoch() == epoch);
  const grpc::Status s = peer->PushPlacement(
      context_for(secret).get(),
      placement(epoch + 1,
                R"({"instances": [{"service": "m", "server": "solo", "devices": [0]}]})"),
      &placed);
  CHECK(s.ok());
  CHECK(f.node.placement_epoch() == epoch + 1);
  inference::ModelInferResponse response;
  CHECK(f.infer(request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok());
  std::remove(path.c_str());
}

TEST_CASE("placements that restart a service lose no request", "[node]") {
  // Each push changes the replicas here (1 <-> 2), so the node builds a new executor and
  // retires the old one while a client keeps sending: every request still ends in a result.
  std::string text = cloud_with(R"("placement_period_s": 3600)");  // only these pushes place
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  text.replace(text.find(R"("widths": [4, 8, 3])"), 19, R"("widths": [4, 512, 512, 3])");
  Fixture f(text);
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_error;
  std::thread client([&] {
    while (!done) {
      inference::ModelInferResponse response;
      const grpc::Status s =
          f.infer(request_of("m", "FP32", {2, 4}, std::vector(8, 1.0f)), response);
      if (s.ok()) {
        ++ok;
      } else if (failed++ == 0) {
        first_error = s.error_message();
      }
    }
  });
  const std::string one = R"({"service": "m", "server": "solo", "devices": [0]})";
  const std::string two = one + R"(, {"service": "m", "server": "solo", "devices": [1]})";
  std::uint64_t epoch = f.node.placement_epoch();
  for (int i = 0; i < 20; ++i) {
    epara::peer::PlacementReply placed;
    const std::string json = R"({"instances": [)" + (i % 2 ? one : two) + "]}";
    REQUIRE(peer->PushPlacement(context_for().get(), placement(++epoch, json), &placed).ok());
    REQUIRE(placed.applied_epoch() == epoch);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  done = true;
  client.join();
  INFO("first error: " << first_error);
  CHECK(failed == 0);
  CHECK(ok > 20);
}

namespace {
// A scrape in the Prometheus text format: every sample by its name and labels as written.
std::map<std::string, double> parse_metrics(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  std::map<std::string, double> out;
  std::set<std::string> typed;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, comment)) {
      if (m[1] == "TYPE") typed.insert(m[2]);
      continue;
    }
    INFO("line: " << line);
    REQUIRE(std::regex_match(line, m, sample));
    const std::string name = m[1].str().substr(0, m[1].str().find('{'));
    const bool declared = typed.count(name) || typed.count(name.substr(0, name.rfind('_')));
    CHECK(declared);  // a histogram's _bucket/_sum/_count come under its own TYPE line
    out[m[1]] = std::stod(m[3]);
  }
  return out;
}
}  // namespace

TEST_CASE("a node's /metrics counts requests, passes and instances", "[node]") {
  Fixture f;
  const int port = f.node.serve_metrics("127.0.0.1", 0);
  inference::ModelInferResponse response;
  for (int i = 0; i < 3; ++i)
    REQUIRE(f.infer(request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok());
  CHECK_FALSE(f.infer(request_of("m", "INT32", {1, 4}, {1, 2, 3, 4}), response).ok());
  CHECK_FALSE(f.infer(request_of("nope", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok());

  httplib::Client client("127.0.0.1", port);
  const auto scraped = client.Get("/metrics");
  REQUIRE(scraped);
  CHECK(scraped->status == 200);
  CHECK(scraped->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  const auto metrics = parse_metrics(scraped->body);
  const auto at = [&](const std::string& key) {
    INFO("metric " << key << " in\n" << scraped->body);
    REQUIRE(metrics.count(key));
    return metrics.at(key);
  };
  CHECK(at(R"(epara_requests_total{model="m",outcome="in_slo",code="OK"})") == 3);
  CHECK(at(R"(epara_requests_total{model="m",outcome="error",code="INVALID_ARGUMENT"})") == 1);
  CHECK(scraped->body.find("nope") == std::string::npos);  // clients cannot add labels
  CHECK(at(R"(epara_request_seconds_count{model="m"})") == 4);
  const double passes = at(R"(epara_pass_seconds_count{model="m"})");
  CHECK(passes >= 1);
  CHECK(at(R"(epara_batch_size_count{model="m"})") == passes);
  CHECK(at(R"(epara_batch_size_sum{model="m"})") >= 3);  // the 3 items, plus the warm-up's
  CHECK(at(R"(epara_batch_size_bucket{model="m",le="+Inf"})") == passes);
  double previous = 0;
  for (const char* le : {"1", "2", "4", "8", "16", "32", "64", "128", "256", "+Inf"}) {
    const double cumulative =
        at(R"(epara_batch_size_bucket{model="m",le=")" + std::string(le) + R"("})");
    CHECK(cumulative >= previous);
    previous = cumulative;
  }
  // By exact batch size: the counts add up to the passes, the times to their sum.
  double by_batch = 0, by_batch_seconds = 0, items = 0;
  for (const auto& [key, value] : metrics) {
    const std::string prefix = R"(epara_passes_by_batch_total{model="m",batch=")";
    if (key.rfind(prefix, 0) == 0) {
      by_batch += value;
      items += value * std::stod(key.substr(prefix.size()));
      const std::string batch = key.substr(prefix.size());
      const double seconds = at(R"(epara_pass_seconds_by_batch_total{model="m",batch=")" + batch);
      by_batch_seconds += seconds;
      // The squares of non-negative times: at least the mean's squared per pass (the variance
      // is not negative), at most the square of their sum.
      const double squares =
          at(R"(epara_pass_seconds_squared_by_batch_total{model="m",batch=")" + batch);
      CHECK(squares >= seconds * seconds / value * (1 - 1e-9));
      CHECK(squares <= seconds * seconds * (1 + 1e-9));
      CHECK(squares > 0);
    }
  }
  CHECK(by_batch == passes);
  CHECK(items == at(R"(epara_batch_size_sum{model="m"})"));
  CHECK(by_batch_seconds == Approx(at(R"(epara_pass_seconds_sum{model="m"})")));
  CHECK(at(R"(epara_instances{model="m"})") == 1);
  CHECK(at(R"(epara_instance_loads_total{model="m"})") == 1);
  CHECK(at(R"(epara_queue_depth{model="m"})") == 0);
  CHECK(at("epara_placement_epoch") == 0);
  CHECK(at("epara_live_nodes") == 1);
  CHECK(at(R"(epara_entering_per_second{model="m"})") > 0);
  CHECK(client.Get("/other")->status == 404);
}

TEST_CASE("a node's log lines carry a timestamp and a level, filtered by level", "[node]") {
  std::ostringstream log;
  const Scenario s = io::parse_scenario(cloud, "cloud.json");
  {
    node::Node quiet(s, io::parse_deployment(cloud, "cloud.json", s), ServerId{0}, log,
                     node::LogLevel::Warn);
    quiet.start();
    quiet.shutdown();
  }
  CHECK(log.str().empty());  // nothing at warn or above happened
  node::Node chatty(s, io::parse_deployment(cloud, "cloud.json", s), ServerId{0}, log);
  chatty.start();
  chatty.shutdown();
  static const std::regex line(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error) \[solo\] .+$)");
  std::istringstream lines(log.str());
  int n = 0;
  for (std::string l; std::getline(lines, l); ++n) {
    INFO(l);
    CHECK(std::regex_match(l, line));
  }
  CHECK(n >= 2);  // listening, and the model's pass time
}

TEST_CASE("a node answers the gRPC health check", "[node]") {
  Fixture f;
  // grpc.health.v1.Health/Check with the whole server asked for (an empty request); the reply
  // is HealthCheckResponse{status: SERVING}: field 1, varint 1.
  grpc::GenericStub generic(f.channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty;
  grpc::ByteBuffer in(&empty, 1), out;
  grpc::CompletionQueue cq;
  auto call = generic.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", in, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  REQUIRE(cq.Next(&tag, &ok));
  REQUIRE(status.ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(out.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  CHECK(bytes == std::string("\x08\x01", 2));
}

TEST_CASE("RepositoryIndex says where each model runs and ModelStatistics what it did", "[node]") {
  Fixture f;
  inference::ModelInferResponse response;
  for (int i = 0; i < 2; ++i)
    REQUIRE(f.infer(request_of("m", "FP32", {3, 4}, std::vector(12, 1.0f)), response).ok());
  CHECK_FALSE(f.infer(request_of("m", "FP32", {1, 3}, {1, 2, 3}), response).ok());

  grpc::ClientContext c1, c2, c3, c4;
  inference::RepositoryIndexResponse index;
  REQUIRE(f.stub->RepositoryIndex(&c1, {}, &index).ok());
  REQUIRE(index.models_size() == 1);
  CHECK(index.models(0).name() == "m");
  CHECK(index.models(0).state() == "READY");

  inference::ModelStatisticsResponse stats;
  REQUIRE(f.stub->ModelStatistics(&c2, {}, &stats).ok());
  REQUIRE(stats.model_stats_size() == 1);
  const auto& m = stats.model_stats(0);
  CHECK(m.name() == "m");
  CHECK(m.inference_count() == 6);  // items answered
  CHECK(m.inference_stats().success().count() == 2);
  CHECK(m.inference_stats().fail().count() == 1);
  CHECK(m.inference_stats().success().ns() > 0);
  CHECK(m.execution_count() >= 2);  // the passes that ran those items
  std::uint64_t by_batch = 0;
  for (const auto& b : m.batch_stats()) by_batch += b.compute_infer().count();
  CHECK(by_batch == m.execution_count());
  CHECK(m.last_inference() > 0);

  inference::ModelStatisticsRequest unknown;
  unknown.set_name("nope");
  CHECK(f.stub->ModelStatistics(&c3, unknown, &stats).error_code() == grpc::StatusCode::NOT_FOUND);

  // After a placement that runs nothing here, the index says so.
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  epara::peer::PlacementReply placed;
  REQUIRE(peer->PushPlacement(context_for().get(),
                              placement(f.node.placement_epoch() + 1, R"({"instances": []})"),
                              &placed)
              .ok());
  inference::RepositoryIndexRequest ready_only;
  ready_only.set_ready(true);
  REQUIRE(f.stub->RepositoryIndex(&c4, ready_only, &index).ok());
  CHECK(index.models_size() == 0);
  grpc::ClientContext c5;
  REQUIRE(f.stub->RepositoryIndex(&c5, {}, &index).ok());
  REQUIRE(index.models_size() == 1);
  CHECK(index.models(0).state() == "UNAVAILABLE");
  CHECK(index.models(0).reason() == "placed on no node");
}

namespace {
// The test cloud with the node's peer RPCs on a port of their own (and `setting` added).
std::string cloud_with_peer_port(const std::string& setting = "") {
  std::string text = setting.empty() ? std::string(cloud) : cloud_with(setting);
  const std::string node = R"("address": "127.0.0.1:0")";
  text.insert(text.find(node) + node.size(), R"(, "peer_address": "127.0.0.1:0")");
  return text;
}

// A valid ring message (from the node itself, with nothing in it) sent over `channel`.
grpc::Status sync_over(const std::shared_ptr<grpc::Channel>& channel) {
  const std::vector<std::uint8_t> bytes = encode(SyncMessage{ServerId{0}, 1, {}});
  epara::peer::SyncRequest sync;
  sync.set_message(bytes.data(), bytes.size());
  epara::peer::SyncReply acked;
  return epara::peer::Peer::NewStub(channel)->Sync(context_for().get(), sync, &acked);
}

std::shared_ptr<grpc::Channel> tls_channel(int port, const std::string& ca, const std::string& cert,
                                           const std::string& key) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;
  options.pem_cert_chain = cert;
  options.pem_private_key = key;
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(options));
}

std::string text_of(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}
}  // namespace

TEST_CASE("with a peer address, peer RPCs are served there and not on the client port", "[node]") {
  Fixture f(cloud_with_peer_port());
  REQUIRE(f.node.peer_port() != f.node.port());
  CHECK(sync_over(f.channel).error_code() == grpc::StatusCode::UNIMPLEMENTED);
  const auto peers = grpc::CreateChannel("127.0.0.1:" + std::to_string(f.node.peer_port()),
                                         grpc::InsecureChannelCredentials());
  CHECK(sync_over(peers).ok());
  inference::ModelInferResponse response;
  grpc::ClientContext context;
  CHECK(inference::GRPCInferenceService::NewStub(peers)
            ->ModelInfer(&context, request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), &response)
            .error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(f.infer(request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok());
}

TEST_CASE("with peer TLS, only a peer holding a certificate of the cloud's CA gets in", "[node]") {
  // Two CAs, each signing a certificate for 127.0.0.1: the cloud's, and an intruder's.
  const std::string dir = "test_wire_tls";
  const std::string make = "set -e; rm -rf " + dir + "; mkdir " + dir + "; cd " + dir + R"(
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
    for who in cloud intruder; do
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=$who-ca -keyout $who-ca.key -out $who-ca.pem
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj /CN=$who-node -keyout $who.key -out $who.csr
      openssl x509 -req -in $who.csr -CA $who-ca.pem -CAkey $who-ca.key -CAcreateserial -days 2 \
        -extfile san.ext -out $who.pem
    done)";
  REQUIRE(std::system(("(" + make + ")").c_str()) ==
          0);  // needs the openssl tool (scripts/lib/setup.sh)
  const auto pem = [&](const std::string& name) { return text_of(dir + "/" + name); };
  Fixture f(cloud_with_peer_port(R"("peer_tls": {"ca_file": ")" + dir + R"(/cloud-ca.pem", )" +
                                 R"("cert_file": ")" + dir + R"(/cloud.pem", "key_file": ")" + dir +
                                 R"(/cloud.key"})"));
  const int port = f.node.peer_port();
  const std::string ca = pem("cloud-ca.pem"), cert = pem("cloud.pem"), key = pem("cloud.key");

  CHECK(sync_over(tls_channel(port, ca, cert, key)).ok());
  // Refused: plaintext; TLS without a client certificate; a certificate another CA signed.
  CHECK(sync_over(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                      grpc::InsecureChannelCredentials()))
            .error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(sync_over(tls_channel(port, ca, "", "")).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(sync_over(tls_channel(port, ca, pem("intruder.pem"), pem("intruder.key"))).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  // And a node is not taken for one by a client that trusts only the intruder's CA.
  CHECK(
      sync_over(tls_channel(port, pem("intruder-ca.pem"), pem("intruder.pem"), pem("intruder.key")))
          .error_code() == grpc::StatusCode::UNAVAILABLE);
  // Clients keep the plaintext port.
  inference::ModelInferResponse response;
  CHECK(f.infer(request_of("m", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok());
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ModelConfig gives a model's tensors, batching and instances here", "[node]") {
  std::string text = cloud_with(R"("placement_period_s": 3600)");
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  Fixture f(text);
  grpc::ClientContext c1, c2;  // one a call
  inference::ModelConfigRequest request;
  request.set_name("m");
  inference::ModelConfigResponse response;
  REQUIRE(f.stub->ModelConfig(&c1, request, &response).ok());
  const inference::ModelConfig& config = response.config();
  CHECK(config.name() == "m");
  CHECK(config.platform() == "epara-reference-dense");
  REQUIRE(config.input_size() == 1);
  CHECK(config.input(0).name() == "input");
  CHECK(config.input(0).data_type() == inference::TYPE_FP32);
  CHECK(std::vector<std::int64_t>(config.input(0).dims().begin(), config.input(0).dims().end()) ==
        std::vector<std::int64_t>{4});
  REQUIRE(config.output_size() == 1);
  CHECK(config.output(0).dims(0) == 3);
  CHECK(config.max_batch_size() >= 1);  // as planned for the declared demand, within the model's
  CHECK(config.max_batch_size() <= 8);
  CHECK_FALSE(config.dynamic_batching().preserve_ordering());
  // The instances the applied placement runs here.
  const std::string one = R"({"service": "m", "server": "solo", "devices": [0]})";
  const std::string two = R"({"service": "m", "server": "solo", "devices": [1]})";
  for (const auto& [instances, count] :
       {std::pair{one + ", " + two, 2}, std::pair{two, 1}, std::pair{std::string(), 0}}) {
    REQUIRE(push_instances(f.channel, f.node, instances).ok());
    grpc::ClientContext context;
    REQUIRE(f.stub->ModelConfig(&context, request, &response).ok());
    REQUIRE(response.config().instance_group_size() == 1);
    CHECK(response.config().instance_group(0).count() == count);
    CHECK(response.config().instance_group(0).kind() == inference::ModelInstanceGroup::KIND_CPU);
  }
  request.set_name("nope");
  CHECK(f.stub->ModelConfig(&c2, request, &response).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("an instance alone on its device batches what is queued without waiting", "[node]") {
  // Two services; the simulator's rule (gather_timeout): an instance sharing its device with
  // another waits up to its plan's timeout for a fuller batch, one alone does not wait.
  std::string text = cloud_with(R"("placement_period_s": 3600)");
  text.replace(text.find(R"("demand": [)"), 11,
               R"("demand": [{"service": "n", "origin": "solo", "rate_per_s": 10}, )");
  const std::string m_service = R"({"name": "m", "profile": "p")";
  text.insert(text.find(m_service),
              R"({"name": "n", "profile": "p", "model_memory_gib": 0.1, "input_kib": 1,)"
              R"( "slo": {"type": "latency", "deadline_ms": 2000}}, )");
  text.insert(text.find(R"({"service": "m", "model")"),
              R"({"service": "n", "model": "dense", "widths": [4, 8, 3], "seed": 6, )"
              R"("max_batch": 8}, )");
  Fixture f(text);
  const auto delay_of = [&](const std::string& model) {
    return model_config(f, model).dynamic_batching().max_queue_delay_microseconds();
  };
  const auto place = [&](const std::string& instances) {
    REQUIRE(push_instances(f.channel, f.node, instances).ok());
  };
  const std::string m = R"({"service": "m", "server": "solo", "devices": [0]})";
  const std::string n = R"({"service": "n", "server": "solo", "devices": [0]})";
  place(m + ", " + n);
  const std::uint64_t m_planned = delay_of("m"), n_planned = delay_of("n");
  CHECK(m_planned > 0);  // 10/s of 2 s deadlines: the plan gathers batches
  CHECK(n_planned > 0);
  place(m);  // m alone now: its passes no longer wait
  CHECK(delay_of("m") == 0);
  place(m + ", " + n);  // shared again
  CHECK(delay_of("m") == m_planned);
  CHECK(delay_of("n") == n_planned);
}

TEST_CASE("a node runs the batching its placement plans for each instance", "[node]") {
  // The scheduler writes each instance's plan (max_batch, batch_timeout_ms) into the placement;
  // the node hosting it retunes its executor to it, without restarting it.
  std::string text = cloud_with(R"("placement_period_s": 3600)");
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  Fixture f(text);
  const auto push = [&](const std::string& fields) {
    return push_instances(f.channel, f.node,
                          R"({"service": "m", "server": "solo", "devices": [0])" + fields + "}");
  };
  const auto config = [&] { return model_config(f, "m"); };
  REQUIRE(push(R"(, "max_batch": 3, "batch_timeout_ms": 5)").ok());
  CHECK(config().max_batch_size() == 3);
  CHECK(config().dynamic_batching().max_queue_delay_microseconds() == 0);  // alone on gpu 0
  const auto loads_of_m = [&] {  // instances of m started here so far
    const std::string metrics = f.node.metrics().render({});
    const std::string key = R"(epara_instance_loads_total{model="m"} )";
    const auto at = metrics.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoull(metrics.substr(at + key.size()));
  };
  const std::uint64_t loads = loads_of_m();
  REQUIRE(push(R"(, "max_batch": 6, "batch_timeout_ms": 5)").ok());
  CHECK(config().max_batch_size() == 6);
  CHECK(loads_of_m() == loads);  // retuned, not restarted
  REQUIRE(push(R"(, "max_batch": 600, "batch_timeout_ms": 5)").ok());
  CHECK(config().max_batch_size() == 8);  // within the model's max_batch
  // A bad plan is refused whole, naming the field.
  for (const auto& [fields, named] :
       {std::pair{R"(, "max_batch": 0, "batch_timeout_ms": 5)", "instances[0].max_batch"},
        std::pair{R"(, "max_batch": "4", "batch_timeout_ms": 5)", "instances[0].max_batch"},
        std::pair{R"(, "max_batch": 4)", "instances[0].batch_timeout_ms"},
        std::pair{R"(, "max_batch": 4, "batch_timeout_ms": -1)", "instances[0].batch_timeout_ms"},
        std::pair{R"(, "max_batch": 4, "batch_timeout_ms": 1e300)",
                  "instances[0].batch_timeout_ms"}}) {
    const grpc::Status refused = push(fields);
    CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(refused.error_message(), Catch::Contains(named));
  }
  CHECK(config().max_batch_size() == 8);
}

TEST_CASE("ModelStreamInfer answers a stream's requests in order, a bad one with its error",
          "[node]") {
  // Two replicas (data parallel), so requests of the stream run at once and may finish out of
  // order; the answers still leave in the order the requests came.
  std::string text = cloud_with(R"("placement_period_s": 3600)");
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  Fixture f(text);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = f.stub->ModelStreamInfer(&context);
  constexpr int frames = 40, bad = 17;
  exec::CpuDenseChain reference(exec::make_dense_chain({4, 8, 3}, 5), 1);
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < frames; ++i) {
    const auto x = static_cast<float>(i) / frames;
    inputs.push_back({x, -x, 1.0f - x, 0.5f});
    auto request = i == bad ? request_of("m", "FP32", {1, 3}, {1, 2, 3})
                            : request_of("m", "FP32", {1, 4}, inputs.back());
    request.set_id("frame-" + std::to_string(i));
    REQUIRE(stream->Write(request));
  }
  REQUIRE(stream->WritesDone());
  inference::ModelStreamInferResponse response;
  for (int i = 0; i < frames; ++i) {
    REQUIRE(stream->Read(&response));
    CHECK(response.infer_response().id() == "frame-" + std::to_string(i));
    if (i == bad) {
      CHECK(response.error_message() ==
            "INVALID_ARGUMENT: input 'input': shape [1, 3], expected [batch (1-4096), 4]");
      continue;
    }
    REQUIRE(response.error_message().empty());
    std::vector<float> want(3);
    reference.forward(inputs[static_cast<std::size_t>(i)], want, 1);
    const auto& got = response.infer_response().outputs(0).contents().fp32_contents();
    REQUIRE(got.size() == 3);
    for (int k = 0; k < 3; ++k) CHECK(got[k] == Approx(want[static_cast<std::size_t>(k)]));
  }
  CHECK_FALSE(stream->Read(&response));
  CHECK(stream->Finish().ok());
  // Counted as requests like ModelInfer's: 39 served, 1 refused.
  const std::string metrics = f.node.metrics_text();
  CHECK(metrics.find(R"(epara_requests_total{model="m",outcome="in_slo",code="OK"} 39)") !=
        std::string::npos);
}

namespace {
// The test cloud with a frequency-sensitive service beside "m": 2 streams of 100 frames/s, a
// 200 ms deadline per frame; the allocator plans multi-frame passes of 4 frames of one stream.
std::string cloud_with_video() {
  std::string text = cloud_with(R"("placement_period_s": 3600)");
  text.replace(text.find(R"("demand": [)"), 11,
               R"("demand": [{"service": "video", "origin": "solo", "streams": 2}, )");
  text.replace(text.find(R"("services": [)"), 13, R"("services": [{"name": "video", "profile": "p",
    "model_memory_gib": 0.1, "input_kib": 1,
    "slo": {"type": "frequency", "rate_per_s": 100, "deadline_ms": 200}}, )");
  text.replace(text.find(R"("models": [)"), 11, R"("models": [{"service": "video", "model": "dense",
    "widths": [4, 8, 3], "seed": 6, "max_batch": 8}, )");
  return text;
}

// Per pass size, the passes the node ran for `model`.
std::map<std::uint64_t, std::uint64_t> passes_by_size(Fixture& f, const std::string& model) {
  grpc::ClientContext context;
  inference::ModelStatisticsRequest request;
  request.set_name(model);
  inference::ModelStatisticsResponse stats;
  REQUIRE(f.stub->ModelStatistics(&context, request, &stats).ok());
  std::map<std::uint64_t, std::uint64_t> passes;
  for (const auto& b : stats.model_stats(0).batch_stats())
    passes[b.batch_size()] = b.compute_infer().count();
  return passes;
}
}  // namespace

TEST_CASE("a multi-frame service batches the frames of one stream, not lone requests", "[node]") {
  Fixture f(cloud_with_video());
  grpc::ClientContext config_context;
  inference::ModelConfigRequest which;
  which.set_name("video");
  inference::ModelConfigResponse config;
  REQUIRE(f.stub->ModelConfig(&config_context, which, &config).ok());
  const auto frames_per_pass = static_cast<std::uint64_t>(config.config().max_batch_size());
  REQUIRE(frames_per_pass > 1);  // the plan's m frames of one stream a pass

  // Lone requests are streams of their own: a pass each, however close together they come.
  std::atomic<int> failed{0};  // Catch's assertions are for the test's own thread
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&] {
      inference::ModelInferResponse response;
      if (!f.infer(request_of("video", "FP32", {1, 4}, {1, 2, 3, 4}), response).ok()) ++failed;
    });
  for (auto& c : clients) c.join();
  CHECK(failed == 0);
  CHECK(passes_by_size(f, "video") == std::map<std::uint64_t, std::uint64_t>{{1, 8}});

  // Two streams of 40 frames each, sent at once: passes of up to m frames of one stream.
  std::array<int, 2> answered{};
  std::array<bool, 2> finished{};
  std::vector<std::thread> streams;
  for (int s = 0; s < 2; ++s)
    streams.emplace_back([&, s] {
      grpc::ClientContext context;
      auto stream = f.stub->ModelStreamInfer(&context);
      for (int i = 0; i < 40; ++i)
        stream->Write(request_of("video", "FP32", {1, 4}, {static_cast<float>(s), 1, 2, 3}));
      stream->WritesDone();
      inference::ModelStreamInferResponse response;
      const auto i = static_cast<std::size_t>(s);
      while (stream->Read(&response)) answered[i] += response.error_message().empty() ? 1 : 0;
      finished[i] = stream->Finish().ok();
    });
  for (auto& s : streams) s.join();
  CHECK(answered == std::array<int, 2>{40, 40});
  CHECK(finished == std::array<bool, 2>{true, true});
  std::uint64_t frames = 0, multi = 0;
  for (const auto& [size, passes] : passes_by_size(f, "video")) {
    CHECK(size <= frames_per_pass);
    frames += size * passes;
    if (size > 1) multi += passes;
  }
  CHECK(frames == 8 + 80);
  CHECK(multi > 0);
}

namespace {
// Pushes a placement of `instances` (JSON objects) with the next epoch; its status.
grpc::Status push_instances(Fixture& f, const std::string& instances) {
  const auto peer = epara::peer::Peer::NewStub(f.channel);
  epara::peer::PlacementReply placed;
  return peer->PushPlacement(
      context_for().get(),
      placement(f.node.placement_epoch() + 1, R"({"instances": [)" + instances + "]}"), &placed);
}

// Runs `requests` requests of each of `models` from two clients a model at once; the wall time.
Duration run_clients(Fixture& f, const std::vector<std::string>& models, int requests) {
  const Time start = exec::now();
  std::atomic<int> failed{0};  // Catch's assertions are for the test's own thread
  std::vector<std::thread> clients;
  for (const std::string& model : models)
    for (int c = 0; c < 2; ++c)
      clients.emplace_back([&f, &failed, model, requests] {
        for (int i = 0; i < requests; ++i) {
          inference::ModelInferResponse response;
          if (!f.infer(request_of(model, "FP32", {8, 4}, std::vector(32, 0.5f)), response).ok())
            ++failed;
        }
      });
  for (auto& c : clients) c.join();
  CHECK(failed == 0);
  return exec::now() - start;
}
}  // namespace

TEST_CASE("services on one device take turns on it, an instance of two devices runs on both",
          "[node]") {
  std::string text = cloud_with_video();
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  // Deadlines far beyond these heavy passes, so that under a sanitizer too every request is
  // served: this test is about devices, not deadlines.
  for (const char* deadline : {R"("deadline_ms": 200})", R"("deadline_ms": 2000})"})
    text.replace(text.find(deadline), std::string(deadline).size(), R"("deadline_ms": 20000})");
  for (const char* seed : {R"("seed": 5)", R"("seed": 6)"})  // passes long enough to overlap
    text.replace(text.find(R"("widths": [4, 8, 3], )" + std::string(seed)), 19,
                 R"("widths": [4, 2048, 2048, 3])");
  Fixture f(text);
  const auto busy = [&] { return f.node.device_busy(); };
  const std::string m_on_0 = R"({"service": "m", "server": "solo", "devices": [0]})";

  // Both services on GPU 0: its busy time grows, never faster than the clock; GPU 1 idles.
  REQUIRE(push_instances(f, m_on_0 + R"(, {"service": "video", "server": "solo", "devices": [0]})")
              .ok());
  auto before = busy();
  Duration took = run_clients(f, {"m", "video"}, 15);
  auto after = busy();
  CHECK(after["gpu0"] > before["gpu0"]);
  CHECK(after["gpu0"] - before["gpu0"] <= took);
  CHECK(after["gpu1"] == before["gpu1"]);

  // One on each GPU: both work.
  REQUIRE(push_instances(f, m_on_0 + R"(, {"service": "video", "server": "solo", "devices": [1]})")
              .ok());
  before = busy();
  run_clients(f, {"m", "video"}, 15);
  after = busy();
  CHECK(after["gpu0"] > before["gpu0"]);
  CHECK(after["gpu1"] > before["gpu1"]);

  // One instance of m over both GPUs (model parallel, a stage each): the reference's numbers.
  REQUIRE(push_instances(f, R"({"service": "m", "server": "solo", "devices": [0, 1]})").ok());
  before = busy();
  const std::vector<float> row{0.5f, -1.0f, 2.0f, 0.25f};
  inference::ModelInferResponse response;
  REQUIRE(f.infer(request_of("m", "FP32", {1, 4}, row), response).ok());
  exec::CpuDenseChain reference(exec::make_dense_chain({4, 2048, 2048, 3}, 5), 1);
  std::vector<float> want(3);
  reference.forward(row, want, 1);
  const auto& got = response.outputs(0).contents().fp32_contents();
  REQUIRE(got.size() == 3);
  for (int k = 0; k < 3; ++k) CHECK(got[k] == Approx(want[static_cast<std::size_t>(k)]));
  after = busy();
  CHECK(after["gpu0"] > before["gpu0"]);
  CHECK(after["gpu1"] > before["gpu1"]);
  CHECK(f.node.metrics_text().find(R"(epara_instances{model="m"} 1)") != std::string::npos);
}

TEST_CASE("a placement beyond a device's memory is refused, naming the device", "[node]") {
  std::string text = cloud_with_video();
  text.replace(text.find(R"("count": 1)"), 10, R"("count": 2)");
  for (int i = 0; i < 2; ++i)
    text.replace(text.find(R"("model_memory_gib": 0.1)"), 23, R"("model_memory_gib": 5)");
  Fixture f(text);
  const std::uint64_t epoch = f.node.placement_epoch();
  const grpc::Status s = push_instances(f, R"({"service": "m", "server": "solo", "devices": [0]},
      {"service": "video", "server": "solo", "devices": [0]})");
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message() ==
        "placement: video + m need 10.00 GiB on GPU 0 of 'solo', which has 8.00 GiB");
  CHECK(f.node.placement_epoch() == epoch);
  // Half of each on each GPU (model parallel) fits.
  CHECK(push_instances(f, R"({"service": "m", "server": "solo", "devices": [0, 1]},
      {"service": "video", "server": "solo", "devices": [1, 0]})")
            .ok());
}
