#include "epara/sim/simulation_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "epara/model/limits.hpp"
#include "io/demand_json.hpp"
#include "io/json_reader.hpp"

namespace epara::sim {
namespace {

using io::detail::JsonNode;
using TimeUnit = JsonNode::TimeUnit;
using Zero = JsonNode::Zero;

/// The cost of a prompt token relative to a generated one: at most this.
constexpr double max_prefill_weight = 1e3;

Fault read_fault(const JsonNode& n, const Scenario& s) {
  n.expect_object({"at_s", "kind", "server", "device"});
  Fault f;
  f.at = n.at("at_s").seconds(Zero::Allowed);
  f.kind = n.at("kind").choice<FaultKind>({{"server_down", FaultKind::ServerDown},
                                           {"server_up", FaultKind::ServerUp},
                                           {"device_down", FaultKind::DeviceDown},
                                           {"device_up", FaultKind::DeviceUp}});
  f.server = io::detail::resolve_name<ServerId>(n.at("server"), s.cluster.servers, "server");
  const bool device_fault = f.kind == FaultKind::DeviceDown || f.kind == FaultKind::DeviceUp;
  const auto device = n.find("device");
  if (device_fault != device.has_value())
    n.fail(device_fault ? "a device fault needs 'device' (a GPU index or \"cpu\")"
                        : "'device' belongs to device_down and device_up only");
  if (device) {
    const ServerSpec& server = s.cluster.server(f.server);
    if (device->raw().is_string()) {
      if (device->string() != "cpu" || !server.cpu)
        device->fail(fmt::format("server '{}' has no such device", server.name));
      f.device = cpu_slot;
    } else {
      if (server.gpus.empty()) device->fail(fmt::format("server '{}' has no GPUs", server.name));
      f.device = device->integer_in(0, static_cast<int>(server.gpus.size()) - 1);
    }
  }
  return f;
}

TraceReplay read_trace(const JsonNode& n, const Scenario& s,
                       const std::filesystem::path& base_dir) {
  n.expect_object({"file", "service", "origins", "speedup", "prefill_weight"});
  TraceReplay t;
  t.file = (base_dir / n.at("file").name()).lexically_normal().string();
  t.service = io::detail::resolve_name<ServiceId>(n.at("service"), s.services, "service");
  if (!s.service(t.service).slo.is_latency())
    n.at("service").fail("a trace replays requests: the service must be latency-sensitive");
  for (const JsonNode& o : n.at("origins").elements())
    t.origins.push_back(io::detail::resolve_name<ServerId>(o, s.cluster.servers, "server"));
  if (t.origins.empty()) n.at("origins").fail("needs at least one server");
  if (auto x = n.find("speedup"))
    t.speedup = x->number_in(limits::min_load_factor, limits::max_load_factor);
  if (auto x = n.find("prefill_weight")) t.prefill_weight = x->number_in(0.0, max_prefill_weight);
  return t;
}

}  // namespace

SimulationConfig parse_simulation_config(std::string_view json_text, std::string_view source,
                                         const Scenario& s, const std::filesystem::path& base_dir) {
  const nlohmann::json document = io::detail::parse_json(json_text, source);
  SimulationConfig c;
  const JsonNode root(document, source);
  const auto section = root.find("simulation");
  if (!section) return c;
  const JsonNode& n = *section;
  n.expect_object({"duration_s",
                   "warmup_s",
                   "seed",
                   "arrivals",
                   "burstiness",
                   "load_scale",
                   "load_profile",
                   "sync_period_ms",
                   "sync_loss",
                   "sync_delay_ms",
                   "placement_period_s",
                   "failure_detection_ms",
                   "weighting",
                   "serve_every_service",
                   "attainment_floor",
                   "spare_replicas",
                   "interference",
                   "pass_time_scale",
                   "pass_time_scale_by_batch",
                   "pass_time_cv",
                   "hop_limit",
                   "faults",
                   "trace"});
  if (auto x = n.find("duration_s")) c.duration = x->seconds(Zero::Refused);
  if (auto x = n.find("warmup_s")) c.warmup = x->seconds(Zero::Allowed);
  if (c.warmup >= c.duration) n.fail("warmup_s must be below duration_s");
  if (auto x = n.find("seed")) c.seed = static_cast<std::uint64_t>(x->integer_in(0, 1 << 30));
  if (auto x = n.find("arrivals"))
    c.arrivals = x->choice<ArrivalProcess>(
        {{"poisson", ArrivalProcess::Poisson}, {"gamma", ArrivalProcess::Gamma}});
  if (auto x = n.find("burstiness"))
    c.burstiness = x->number_in(limits::min_burstiness, limits::max_burstiness);
  if (auto x = n.find("load_scale"))
    c.load_scale = x->number_in(limits::min_load_factor, limits::max_load_factor);
  if (auto x = n.find("load_profile"))
    for (const JsonNode& step : x->elements()) {
      step.expect_object({"at_s", "factor", "service", "origin"});
      LoadStep l{step.at("at_s").seconds(Zero::Allowed),
                 step.at("factor").number_in(0.0, limits::max_load_factor)};
      if (auto service = step.find("service"))
        l.service = io::detail::resolve_name<ServiceId>(*service, s.services, "service");
      if (auto origin = step.find("origin"))
        l.origin = io::detail::resolve_name<ServerId>(*origin, s.cluster.servers, "server");
      c.load_profile.push_back(l);
    }
  if (auto x = n.find("sync_period_ms"))
    c.sync_period = x->period(TimeUnit::Milliseconds, limits::min_sync_period_s);
  if (auto x = n.find("sync_loss")) c.sync_loss = x->number_in(0.0, 1.0);
  if (auto x = n.find("sync_delay_ms")) c.sync_delay = x->milliseconds(Zero::Allowed);
  if (auto x = n.find("placement_period_s"))
    c.placement_period = x->period(TimeUnit::Seconds, limits::min_placement_period_s);
  if (auto x = n.find("failure_detection_ms")) c.failure_detection = x->milliseconds(Zero::Allowed);
  if (auto x = n.find("weighting"))
    c.weighting =
        x->choice<Weighting>({{to_string(Weighting::Items), Weighting::Items},
                              {to_string(Weighting::DemandShare), Weighting::DemandShare}});
  if (auto x = n.find("serve_every_service")) c.serve_every_service = x->boolean();
  if (auto x = n.find("spare_replicas")) c.spare_replicas = x->boolean();
  if (auto x = n.find("attainment_floor")) {
    if (x->raw().is_string()) {
      c.choose_attainment_floor = x->choice<bool>({{"auto", true}});
    } else {
      c.choose_attainment_floor = false;
      c.attainment_floor = x->number();
      if (c.attainment_floor < 0.0 || c.attainment_floor > 1.0)
        x->fail("must be \"auto\" or in [0, 1]");
    }
  }
  if (auto x = n.find("interference")) c.interference = x->number_in(1.0, limits::max_interference);
  if (auto x = n.find("pass_time_scale"))
    c.pass_time_scale = x->number_in(limits::min_pass_time_scale, limits::max_pass_time_scale);
  if (auto x = n.find("pass_time_scale_by_batch")) {
    for (const JsonNode& e : x->elements())
      c.pass_time_scale_by_batch.push_back(
          e.number_in(limits::min_pass_time_scale, limits::max_pass_time_scale));
    if (c.pass_time_scale_by_batch.size() > limits::max_scaled_batches)
      x->fail(fmt::format("at most {} batch sizes", limits::max_scaled_batches));
  }
  if (auto x = n.find("pass_time_cv")) c.pass_time_cv = x->number_in(0.0, limits::max_pass_time_cv);
  if (auto x = n.find("hop_limit")) c.handler.hop_limit = x->integer_in(0, 7);
  if (auto x = n.find("faults"))
    for (const JsonNode& f : x->elements()) c.faults.push_back(read_fault(f, s));
  if (auto x = n.find("trace")) c.trace = read_trace(*x, s, base_dir);
  return c;
}

}  // namespace epara::sim
