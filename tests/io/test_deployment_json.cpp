#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "epara/io/deployment_json.hpp"
#include "epara/io/scenario_json.hpp"

using namespace epara;

namespace {
std::string cloud(const std::string& deployment) {
  return R"({
  "device_classes": [{"name": "host", "kind": "gpu", "memory_gib": 8, "relative_speed": 1}],
  "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "host", "count": 1}]},
              {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "host", "count": 1}]}],
  "network": {"links": [{"between": ["a", "b"], "latency_ms": 1, "bandwidth_gbps": 1}]},
  "profiles": [{"name": "p", "source": "t", "curves": [{"device_class": "host", "gpus": 1,
    "max_batch": 4, "points": [{"batch": 1, "latency_ms": 1}]}]}],
  "services": [{"name": "m", "profile": "p", "model_memory_gib": 1, "input_kib": 1,
                "slo": {"type": "latency", "deadline_ms": 100}}])" +
         (deployment.empty() ? "" : ",\n  \"deployment\": " + deployment) + "}";
}
Deployment parse(const std::string& deployment) {
  const std::string text = cloud(deployment);
  return io::parse_deployment(text, "cloud.json", io::parse_scenario(text, "cloud.json"));
}
}  // namespace

TEST_CASE("a deployment section: nodes in ring order, models, periods", "[io]") {
  const Deployment d = parse(R"({
    "nodes": [{"server": "b", "address": "h:2"}, {"server": "a", "address": "h:1"}],
    "models": [{"service": "m", "model": "attention", "tokens": 4, "dim": 8, "max_batch": 2}],
    "sync_period_ms": 20, "entry_ttl_ms": 300, "scheduler": "a", "hop_limit": 2})");
  REQUIRE(d.nodes.size() == 2);
  CHECK(d.nodes[0].server == ServerId{1});
  CHECK(d.nodes[1].address == "h:1");
  CHECK(d.models[0].inputs == std::vector<exec::TensorSpec>{{"input", exec::DType::FP32, {4, 8}}});
  CHECK(d.sync_period == std::chrono::milliseconds(20));
  CHECK(d.scheduler == ServerId{0});
  CHECK(d.hop_limit == 2);
}

TEST_CASE("an identity model declares its tensors, each type by its protocol name", "[io]") {
  const Deployment d = parse(R"({
    "nodes": [{"server": "a", "address": "h:1"}],
    "models": [{"service": "m", "model": "identity", "max_batch": 4, "tensors": [
      {"name": "tokens", "datatype": "INT64", "dims": [-1]},
      {"name": "image", "datatype": "UINT8", "dims": [2, 3]},
      {"name": "text", "datatype": "BYTES", "dims": [1]}]}]})");
  const std::vector<exec::TensorSpec> want{{"tokens", exec::DType::INT64, {-1}},
                                           {"image", exec::DType::UINT8, {2, 3}},
                                           {"text", exec::DType::BYTES, {1}}};
  CHECK(d.models[0].inputs == want);
  CHECK(d.models[0].outputs == want);
  const auto identity = [](const std::string& tensors) {
    return parse(R"({"nodes": [{"server": "a", "address": "h:1"}],
                     "models": [{"service": "m", "model": "identity", "tensors": )" +
                 tensors + "}]}");
  };
  CHECK_THROWS_WITH(identity("[]"),
                    "cloud.json: deployment.models[0].tensors: give at least one tensor");
  CHECK_THROWS_WITH(identity(R"([{"name": "x", "datatype": "FP64", "dims": [1]}])"),
                    "cloud.json: deployment.models[0].tensors[0].datatype: must be one of 'FP32', "
                    "'FP16', 'INT64', 'INT32', 'UINT8', 'BYTES' (got 'FP64')");
  CHECK_THROWS_WITH(identity(R"([{"name": "x", "datatype": "FP32", "dims": [0]}])"),
                    "cloud.json: deployment.models[0].tensors[0].dims[0]: a dimension is -1 (any "
                    "length) or at least 1");
  CHECK_THROWS_WITH(identity(R"([{"name": "x", "datatype": "FP32", "dims": [1]},
                                 {"name": "x", "datatype": "INT32", "dims": [1]}])"),
                    "cloud.json: deployment.models[0].tensors[1].name: 'x' is named twice");
  CHECK_THROWS_WITH(identity(R"([{"name": "x", "datatype": "FP32", "dims": [1], "shape": [1]}])"),
                    Catch::Contains("tensors[0]") && Catch::Contains("shape"));
}

TEST_CASE("deployment errors name the field", "[io]") {
  CHECK_THROWS_WITH(parse(""),
                    "cloud.json: (top level): no 'deployment' section: epara-node needs one "
                    "(docs/deployment.md)");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "c", "address": "h:1"}], "models": []})"),
                    "cloud.json: deployment.nodes[0].server: unknown server 'c'");
  CHECK_THROWS_WITH(
      parse(R"({"nodes": [{"server": "a", "address": "h:1"}, {"server": "a", "address": "h:2"}],
                "models": []})"),
      "cloud.json: deployment.nodes[1].server: node listed twice");
  CHECK_THROWS_WITH(
      parse(R"({"nodes": [{"server": "a", "address": "h:1"}],
                "models": [{"service": "m", "model": "dense", "widths": [4]}]})"),
      "cloud.json: deployment.models[0].widths: give at least an input and an output width");
  // 65536 x 65536 fp32 weights are 16 GiB: the node died of bad_alloc at start.
  CHECK_THROWS_WITH(
      parse(R"({"nodes": [{"server": "a", "address": "h:1"}],
                "models": [{"service": "m", "model": "dense", "widths": [65536, 65536]}]})"),
      "cloud.json: deployment.models[0].widths: the layers hold 4.29e+09 fp32 weights, more than "
      "the 2.68e+08 (1 GiB) a reference model may have");
  CHECK_THROWS_WITH(
      parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [],
                "scheduler": "a\u0000b"})"),
      "cloud.json: deployment.scheduler: must not contain control characters (got one of code 0)");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [],
                "sync_period_ms": 100, "entry_ttl_ms": 250})"),
                    "cloud.json: deployment: entry_ttl_ms must be at least 3 x sync_period_ms");
  CHECK_THROWS_WITH(
      parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [], "scheduler": "b"})"),
      "cloud.json: deployment.scheduler: 'b' runs no node");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [],
                "peer_secret_file": "/no/such/file"})"),
                    "cloud.json: deployment.peer_secret_file: cannot read '/no/such/file'");
  std::ofstream("short_secret.txt") << "too short\n";
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [],
                "peer_secret_file": "short_secret.txt"})"),
                    "cloud.json: deployment.peer_secret_file: 'short_secret.txt' holds fewer "
                    "than 16 characters");
  std::ofstream("short_secret.txt") << "sixteen characters or more\n";
  CHECK(parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": [],
                "peer_secret_file": "short_secret.txt"})")
            .peer_secret == "sixteen characters or more");
  std::remove("short_secret.txt");
}

TEST_CASE("peer addresses and peer TLS: read, and their errors name the field", "[io]") {
  std::ofstream("peer_ca.pem") << "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  std::ofstream("peer_key.pem") << "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n";
  std::ofstream("not_pem.txt") << "a certificate, honestly\n";
  const std::string tls =
      R"("peer_tls": {"ca_file": "peer_ca.pem", "cert_file": "peer_ca.pem", "key_file": "peer_key.pem"})";
  const Deployment d =
      parse(R"({"nodes": [{"server": "a", "address": "h:1", "peer_address": "h:11"},
      {"server": "b", "address": "h:2", "peer_address": "h:12"}], "models": [], )" +
            tls + "}");
  CHECK(d.nodes[0].peer_endpoint() == "h:11");
  REQUIRE(d.peer_tls);
  CHECK(d.peer_tls->key.find("BEGIN PRIVATE KEY") != std::string::npos);
  CHECK(parse(R"({"nodes": [{"server": "a", "address": "h:1"}], "models": []})")
            .nodes[0]
            .peer_endpoint() == "h:1");

  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1", "peer_address": "h:1"}],
                "models": []})"),
                    "cloud.json: deployment.nodes[0].peer_address: give the peer RPCs a port "
                    "other than 'address'");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1", "peer_address": "h:11"},
      {"server": "b", "address": "h:2"}], "models": [], )" +
                          tls + "}"),
                    "cloud.json: deployment.peer_tls: needs a peer_address on every node ('b' has "
                    "none): clients keep the plaintext port");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1", "peer_address": "h:11"}],
      "models": [], "peer_tls": {"ca_file": "peer_ca.pem", "cert_file": "not_pem.txt",
      "key_file": "peer_key.pem"}})"),
                    "cloud.json: deployment.peer_tls.cert_file: 'not_pem.txt' holds no PEM block");
  CHECK_THROWS_WITH(parse(R"({"nodes": [{"server": "a", "address": "h:1", "peer_address": "h:11"}],
      "models": [], "peer_tls": {"ca_file": "peer_ca.pem", "cert_file": "peer_ca.pem"}})"),
                    Catch::Contains("key_file"));
  for (const char* f : {"peer_ca.pem", "peer_key.pem", "not_pem.txt"}) std::remove(f);
}
