#include "epara/io/deployment_json.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "epara/io/model_repository.hpp"
#include "epara/model/limits.hpp"
#include "io/demand_json.hpp"
#include "io/json_reader.hpp"
#include "io/tensor_json.hpp"

namespace epara::io {
namespace {

using detail::JsonNode;
using TimeUnit = JsonNode::TimeUnit;
using Zero = JsonNode::Zero;

/// Weights of a reference dense model (fp32): 1 GiB, far above what the node's tests and
/// fidelity runs use (4096 x 4096 layers are 16 M each).
constexpr double max_reference_weights = 256.0 * 1024.0 * 1024.0;

ModelSpec read_model(const JsonNode& n, const Scenario& s) {
  n.expect_object({"service", "model", "widths", "tokens", "dim", "tensors", "seed", "max_batch"});
  ModelSpec m;
  m.service = detail::resolve_name<ServiceId>(n.at("service"), s.services, "service");
  m.kind = n.at("model").choice<ModelSpec::Kind>({{"dense", ModelSpec::Kind::Dense},
                                                  {"attention", ModelSpec::Kind::Attention},
                                                  {"identity", ModelSpec::Kind::Identity}});
  if (m.kind == ModelSpec::Kind::Identity) {
    m.inputs = detail::read_tensor_specs(n.at("tensors"));
    m.outputs = m.inputs;
  } else if (m.kind == ModelSpec::Kind::Dense) {
    const auto widths = n.at("widths").elements();
    if (widths.size() < 2) n.at("widths").fail("give at least an input and an output width");
    for (const JsonNode& w : widths)
      m.widths.push_back(static_cast<std::size_t>(w.positive_int(1 << 16)));
    // The node allocates every layer's weights at start: a typo must not exhaust memory.
    double weights = 0.0;
    for (std::size_t i = 0; i + 1 < m.widths.size(); ++i)
      weights += static_cast<double>(m.widths[i]) * static_cast<double>(m.widths[i + 1]);
    if (weights > max_reference_weights)
      n.at("widths").fail(
          fmt::format("the layers hold {:.3g} fp32 weights, more than the {:.3g} "
                      "(1 GiB) a reference model may have",
                      weights, max_reference_weights));
    m.inputs = {exec::fp32_vector("input", m.widths.front())};
    m.outputs = {exec::fp32_vector("output", m.widths.back())};
  } else {
    m.tokens = static_cast<std::size_t>(n.at("tokens").positive_int(4096));
    m.dim = static_cast<std::size_t>(n.at("dim").positive_int(1 << 14));
    const exec::Shape shape{static_cast<std::int64_t>(m.tokens), static_cast<std::int64_t>(m.dim)};
    m.inputs = {{"input", exec::DType::FP32, shape}};
    m.outputs = {{"output", exec::DType::FP32, shape}};
  }
  if (auto x = n.find("seed")) m.seed = static_cast<std::uint64_t>(x->integer_in(0, 1 << 30));
  if (auto x = n.find("max_batch")) m.max_batch = static_cast<std::size_t>(x->positive_int(4096));
  return m;
}

/// The text of the file a field names.
std::string read_named_file(const JsonNode& field) {
  const std::string path = field.name();
  std::ifstream file(path, std::ios::binary);
  if (!file) field.fail(fmt::format("cannot read '{}'", path));
  return std::string(std::istreambuf_iterator<char>(file), {});
}

/// A PEM file a field names (a certificate or key), checked to hold one.
std::string read_pem(const JsonNode& field) {
  std::string text = read_named_file(field);
  if (text.find("-----BEGIN ") == std::string::npos)
    field.fail(fmt::format("'{}' holds no PEM block", field.name()));
  return text;
}

PeerTls read_peer_tls(const JsonNode& n) {
  n.expect_object({"ca_file", "cert_file", "key_file"});
  return {read_pem(n.at("ca_file")), read_pem(n.at("cert_file")), read_pem(n.at("key_file"))};
}

}  // namespace

Deployment parse_deployment(std::string_view json_text, std::string_view source,
                            const Scenario& s) {
  const nlohmann::json document = detail::parse_json(json_text, source);
  const JsonNode root(document, source);
  const auto section = root.find("deployment");
  if (!section) root.fail("no 'deployment' section: epara-node needs one (docs/deployment.md)");
  const JsonNode& n = *section;
  n.expect_object({"nodes", "models", "sync_period_ms", "entry_ttl_ms", "placement_period_s",
                   "scheduler", "max_message_mib", "hop_limit", "drain_timeout_s",
                   "peer_secret_file", "peer_tls", "model_repository"});
  Deployment d;
  for (const JsonNode& x : n.at("nodes").elements()) {
    x.expect_object({"server", "address", "peer_address"});
    NodeAddress a{detail::resolve_name<ServerId>(x.at("server"), s.cluster.servers, "server"),
                  x.at("address").name()};
    if (auto p = x.find("peer_address")) {
      a.peer_address = p->name();
      // (Port 0 asks for any free port, a distinct one each.)
      if (a.peer_address == a.address && !a.address.ends_with(":0"))
        p->fail("give the peer RPCs a port other than 'address'");
    }
    if (d.node(a.server)) x.at("server").fail("node listed twice");
    d.nodes.push_back(std::move(a));
  }
  if (d.nodes.empty()) n.at("nodes").fail("list at least one node");
  for (const JsonNode& x : n.at("models").elements()) {
    ModelSpec m = read_model(x, s);
    if (d.model(m.service)) x.at("service").fail("model given twice for this service");
    d.models.push_back(std::move(m));
  }
  if (auto x = n.find("model_repository")) {
    const std::string dir = x->name();
    std::vector<RepositoryModel> models;
    try {
      models = read_model_repository(dir);
    } catch (const InvalidArgument& e) {
      x->fail(e.what());
    }
    for (RepositoryModel& r : models) {
      const auto service = s.find_service(r.service);
      if (!service)
        x->fail(
            fmt::format("model '{}' serves '{}', no service of the scenario", r.name, r.service));
      ModelSpec m;
      m.service = *service;
      if (d.model(m.service))
        x->fail(
            fmt::format("model '{}' serves '{}', which has a model already", r.name, r.service));
      m.kind = ModelSpec::Kind::TorchScript;
      m.inputs = std::move(r.inputs);
      m.outputs = std::move(r.outputs);
      m.file = r.file.string();
      m.max_batch = r.max_batch;
      d.models.push_back(std::move(m));
    }
  }
  if (auto x = n.find("sync_period_ms"))
    d.sync_period = x->period(TimeUnit::Milliseconds, limits::min_sync_period_s);
  if (auto x = n.find("entry_ttl_ms")) d.entry_ttl = x->milliseconds(Zero::Refused);
  // A node leaves the live set after several silent periods, not one late acknowledgement.
  if (d.entry_ttl < 3 * d.sync_period) n.fail("entry_ttl_ms must be at least 3 x sync_period_ms");
  if (auto x = n.find("placement_period_s"))
    d.placement_period = x->period(TimeUnit::Seconds, limits::min_placement_period_s);
  if (auto x = n.find("scheduler")) {
    const std::string who = x->name();
    if (who != "auto") {
      d.scheduler = detail::resolve_name<ServerId>(*x, s.cluster.servers, "server");
      if (!d.node(*d.scheduler)) x->fail(fmt::format("'{}' runs no node", who));
    }
  }
  if (auto x = n.find("max_message_mib"))
    d.max_message_bytes = static_cast<std::size_t>(x->positive_int(1024)) << 20;
  if (auto x = n.find("hop_limit")) d.hop_limit = x->integer_in(0, 7);
  if (auto x = n.find("drain_timeout_s")) d.drain_timeout = x->seconds(Zero::Allowed);
  if (auto x = n.find("peer_secret_file")) {
    const std::string path = x->name();
    d.peer_secret = read_named_file(*x);
    while (!d.peer_secret.empty() && std::isspace(static_cast<unsigned char>(d.peer_secret.back())))
      d.peer_secret.pop_back();  // a file written by echo ends in a newline
    if (d.peer_secret.size() < 16)
      x->fail(fmt::format("'{}' holds fewer than 16 characters", path));
  }
  if (auto x = n.find("peer_tls")) {
    for (const NodeAddress& a : d.nodes)
      if (a.peer_address.empty())
        x->fail(
            fmt::format("needs a peer_address on every node ('{}' has none): clients keep the "
                        "plaintext port",
                        s.cluster.servers[index_of(a.server)].name));
    d.peer_tls = read_peer_tls(*x);
  }
  return d;
}

}  // namespace epara::io
