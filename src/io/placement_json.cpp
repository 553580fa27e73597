#include "epara/io/placement_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "epara/model/validate.hpp"
#include "io/demand_json.hpp"
#include "io/json_reader.hpp"

namespace epara::io {
namespace {

using detail::JsonNode;
using ordered_json = nlohmann::ordered_json;

constexpr int max_devices_per_instance = 64;

ordered_json devices_to_json(const std::vector<DeviceSlot>& devices) {
  if (devices.size() == 1 && devices.front() == cpu_slot) return "cpu";
  return devices;
}

constexpr double max_batch_timeout_ms = 3'600'000;  // an hour: beyond any SLO, within Duration

// epara-node's placements give each instance its plan's batching, which the node hosting it
// runs: both fields or neither, checked here (the node reads them after this parse).
void check_batching(const JsonNode& n) {
  const auto batch = n.find("max_batch"), timeout = n.find("batch_timeout_ms");
  if (!batch && !timeout) return;
  if (!batch) n.fail_at("max_batch", "missing: needed with batch_timeout_ms");
  if (!timeout) n.fail_at("batch_timeout_ms", "missing: needed with max_batch");
  batch->positive_int(LatencyCurve::batch_limit);
  if (timeout->non_negative() > max_batch_timeout_ms)
    timeout->fail(fmt::format("must be at most {} (an hour)", max_batch_timeout_ms));
}

LoadedInstance read_instance(const JsonNode& n, const Scenario& scenario) {
  // Instances written by placement_to_json carry more fields; they describe, never instruct
  // here.
  n.expect_object({"service", "server", "devices", "device_class", "kept", "spare", "load_time_s",
                   "capacity_per_s", "share", "max_batch", "batch_timeout_ms"});
  check_batching(n);
  LoadedInstance li;
  li.service = detail::resolve_name<ServiceId>(n.at("service"), scenario.services, "service");
  li.server = detail::resolve_name<ServerId>(n.at("server"), scenario.cluster.servers, "server");
  const ServerSpec& server = scenario.cluster.server(li.server);
  const JsonNode devices = n.at("devices");
  if (devices.raw().is_string()) {
    if (devices.string() != "cpu") devices.fail("must be a list of GPU indices or \"cpu\"");
    if (!server.cpu) devices.fail(fmt::format("server '{}' has no CPU device", server.name));
    li.devices = {cpu_slot};
    return li;
  }
  const auto slots = devices.elements();
  if (slots.empty() || slots.size() > max_devices_per_instance)
    devices.fail(fmt::format("needs 1 to {} GPU indices", max_devices_per_instance));
  for (const JsonNode& slot : slots) {
    const int gpus = static_cast<int>(server.gpus.size());
    if (gpus == 0) slot.fail(fmt::format("server '{}' has no GPUs", server.name));
    const DeviceSlot value = slot.integer_in(0, gpus - 1);
    for (DeviceSlot earlier : li.devices)
      if (earlier == value) slot.fail("GPU listed twice");
    li.devices.push_back(value);
  }
  return li;
}

}  // namespace

std::vector<LoadedInstance> parse_loaded_instances(std::string_view json_text,
                                                   std::string_view source,
                                                   const Scenario& scenario) {
  const nlohmann::json document = detail::parse_json(json_text, source);
  const JsonNode root(document, source);
  root.expect_object({"instances", "loads", "unloads", "summary", "services", "devices"});
  std::vector<LoadedInstance> out;
  for (const JsonNode& n : root.at("instances").elements())
    out.push_back(read_instance(n, scenario));
  return out;
}

std::string loaded_instances_to_json(const std::vector<LoadedInstance>& instances,
                                     const Scenario& scenario) {
  ordered_json out = ordered_json::array();
  for (const LoadedInstance& i : instances)
    out.push_back({{"service", scenario.service(i.service).name},
                   {"server", scenario.cluster.server(i.server).name},
                   {"devices", devices_to_json(i.devices)}});
  return ordered_json{{"instances", std::move(out)}}.dump();
}

std::vector<Demand> parse_demand(std::string_view json_text, std::string_view source,
                                 const Scenario& scenario) {
  const nlohmann::json document = detail::parse_json(json_text, source);
  const JsonNode root(document, source);
  root.expect_object({"demand"});
  Scenario checked = scenario;  // validated together with the scenario's services
  checked.demand.clear();
  for (const JsonNode& n : root.at("demand").elements())
    checked.demand.push_back(detail::read_demand(
        n,
        [&](const JsonNode& name) {
          return detail::resolve_name<ServiceId>(name, scenario.services, "service");
        },
        [&](const JsonNode& name) {
          return detail::resolve_name<ServerId>(name, scenario.cluster.servers, "server");
        }));
  for (std::size_t i = 0; i < checked.demand.size(); ++i) {
    try {
      epara::detail::validate_demand(checked, i);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("{}: {}", source, e.what()));
    }
  }
  return checked.demand;
}

std::string placement_to_json(const Placement& p, const Scenario& scenario) {
  const Cluster& cluster = scenario.cluster;
  ordered_json instances = ordered_json::array();
  for (const PlacedInstance& i : p.instances) {
    const InstanceType& t = p.types[i.type];
    instances.push_back({{"service", scenario.service(i.service).name},
                         {"server", cluster.server(i.server).name},
                         {"devices", devices_to_json(i.devices)},
                         {"device_class", cluster.device_class(t.device_class).name},
                         {"kept", i.kept},
                         {"spare", i.spare},
                         {"load_time_s", i.kept ? 0.0 : to_seconds(t.load_time)},
                         {"capacity_per_s", t.capacity},
                         {"share", t.share}});
  }
  ordered_json loads = ordered_json::array();
  for (std::size_t i : p.loads) loads.push_back(i);
  ordered_json unloads = ordered_json::array();
  for (const LoadedInstance& u : p.unloads)
    unloads.push_back({{"service", scenario.service(u.service).name},
                       {"server", cluster.server(u.server).name},
                       {"devices", devices_to_json(u.devices)}});
  ordered_json services = ordered_json::array();
  for (const ServiceOutcome& o : p.services)
    services.push_back({{"service", scenario.service(o.service).name},
                        {"status", to_string(o.status)},
                        {"demand_per_s", o.demand},
                        {"served_per_s", o.served},
                        {"reason", o.reason}});
  ordered_json devices = ordered_json::array();
  for (const DeviceUsage& d : p.devices)
    devices.push_back({{"server", cluster.server(d.server).name},
                       {"device", d.slot == cpu_slot ? ordered_json("cpu") : ordered_json(d.slot)},
                       {"device_class", cluster.device_class(d.device_class).name},
                       {"instances", d.instances},
                       {"memory_used_gib", d.memory_used.as_gib()},
                       {"memory_gib", d.memory.as_gib()},
                       {"compute_used", static_cast<double>(d.share_used) / share_ppm_whole}});
  ordered_json summary{{"served_per_s", p.served},
                       {"demand_per_s", p.demand},
                       {"termination", to_string(p.termination)},
                       {"best_singleton", p.singleton},
                       {"evaluations", p.evaluations},
                       {"candidates", p.candidates},
                       {"load_time_s", to_seconds(p.load_time)},
                       {"attainment_floor", p.attainment_floor}};
  ordered_json root{{"summary", std::move(summary)},   {"instances", std::move(instances)},
                    {"loads", std::move(loads)},       {"unloads", std::move(unloads)},
                    {"services", std::move(services)}, {"devices", std::move(devices)}};
  return root.dump(2) + "\n";
}

}  // namespace epara::io
