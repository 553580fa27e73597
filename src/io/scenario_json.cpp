#include "epara/io/scenario_json.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "epara/error.hpp"
#include "epara/model/limits.hpp"
#include "epara/model/validate.hpp"
#include "io/demand_json.hpp"
#include "io/json_reader.hpp"

namespace epara::io {
namespace {

using detail::gib;
using detail::JsonNode;
using detail::kib;
using Zero = JsonNode::Zero;
using ordered_json = nlohmann::ordered_json;

constexpr int max_gpus_per_entry = 64;
constexpr int max_gpus_per_replica = 64;

// Names of one table (device classes, servers, ...) with the path where each was declared, so
// a repeated name names both places and a reference to an unknown name is caught.
template <class Id>
class NameTable {
 public:
  explicit NameTable(std::string_view what) : what_(what) {}

  void declare(const JsonNode& node, const std::string& name) {
    const auto [it, inserted] = ids_.try_emplace(name, id_at<Id>(ids_.size()), node.path());
    if (!inserted)
      node.fail(fmt::format("duplicate {} name '{}' (first declared at {})", what_, name,
                            it->second.second));
  }
  Id resolve(const JsonNode& node) const {
    const std::string name = node.name();
    const auto it = ids_.find(name);
    if (it == ids_.end()) node.fail(fmt::format("unknown {} '{}'", what_, name));
    return it->second.first;
  }

 private:
  std::string_view what_;
  std::map<std::string, std::pair<Id, std::string>, std::less<>> ids_;
};

class ScenarioReader {
 public:
  explicit ScenarioReader(std::string_view source) : source_(source) {}

  Scenario read(const nlohmann::json& document) {
    const JsonNode root(document, source_);
    root.expect_object({"description", "device_classes", "servers", "network", "profiles",
                        "services", "demand", "simulation", "deployment"});
    Scenario s;
    if (auto d = root.find("description")) s.description = d->string();
    for (const JsonNode& n : root.at("device_classes").elements())
      s.cluster.device_classes.push_back(read_device_class(n));
    for (const JsonNode& n : root.at("servers").elements())
      s.cluster.servers.push_back(read_server(n));
    s.cluster.network = read_network(root.at("network"), s.cluster.servers.size());
    for (const JsonNode& n : root.at("profiles").elements()) s.profiles.push_back(read_profile(n));
    for (const JsonNode& n : root.at("services").elements()) s.services.push_back(read_service(n));
    if (auto demand = root.find("demand"))
      for (const JsonNode& n : demand->elements())
        s.demand.push_back(detail::read_demand(
            n, [&](const JsonNode& name) { return services_.resolve(name); },
            [&](const JsonNode& name) { return servers_.resolve(name); }));
    try {  // what the fields cannot show one by one: kinds of devices, connectivity, ...
      validate(s);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("{}: {}", source_, e.what()));
    }
    return s;
  }

 private:
  DeviceClass read_device_class(const JsonNode& n) {
    n.expect_object({"name", "kind", "memory_gib", "relative_speed"});
    DeviceClass c;
    c.name = n.at("name").name();
    classes_.declare(n.at("name"), c.name);
    c.kind = n.at("kind").choice<DeviceKind>({{"gpu", DeviceKind::Gpu}, {"cpu", DeviceKind::Cpu}});
    c.memory = n.at("memory_gib").bytes(gib, limits::max_memory_gib, Zero::Refused);
    c.relative_speed =
        n.at("relative_speed").number_in(limits::min_relative_speed, limits::max_relative_speed);
    return c;
  }

  ServerSpec read_server(const JsonNode& n) {
    n.expect_object({"name", "kind", "gpus", "cpu"});
    ServerSpec s;
    s.name = n.at("name").name();
    servers_.declare(n.at("name"), s.name);
    s.kind = n.at("kind").choice<ServerKind>({{"edge_server", ServerKind::EdgeServer},
                                              {"embedded_board", ServerKind::EmbeddedBoard},
                                              {"microcomputer", ServerKind::Microcomputer}});
    if (auto gpus = n.find("gpus")) {
      for (const JsonNode& g : gpus->elements()) {
        g.expect_object({"device_class", "count"});
        const DeviceClassId id = classes_.resolve(g.at("device_class"));
        const int count = g.at("count").positive_int(max_gpus_per_entry);
        s.gpus.insert(s.gpus.end(), static_cast<std::size_t>(count), id);
      }
    }
    if (auto cpu = n.find("cpu")) s.cpu = classes_.resolve(*cpu);
    return s;
  }

  Network read_network(const JsonNode& n, std::size_t servers) {
    n.expect_object({"links"});
    std::vector<Link> links;
    std::map<std::pair<ServerId, ServerId>, std::string> seen;
    for (const JsonNode& l : n.at("links").elements()) {
      l.expect_object({"between", "latency_ms", "bandwidth_gbps"});
      const auto ends = l.at("between").elements();
      if (ends.size() != 2) l.at("between").fail("must name exactly two servers");
      Link link{servers_.resolve(ends[0]), servers_.resolve(ends[1]),
                l.at("latency_ms").milliseconds(Zero::Allowed),
                Bandwidth::gbit_per_s(
                    l.at("bandwidth_gbps")
                        .number_in(limits::min_bandwidth_gbps, limits::max_bandwidth_gbps))};
      if (link.a == link.b) l.at("between").fail("a link must join two different servers");
      const auto key = std::minmax(link.a, link.b);
      if (const auto [it, inserted] = seen.try_emplace(key, l.path()); !inserted)
        l.fail(fmt::format("a second link between the same servers (first at {})", it->second));
      links.push_back(link);
    }
    return Network(servers, std::move(links));
  }

  Profile read_profile(const JsonNode& n) {
    n.expect_object({"name", "source", "curves", "measured"});
    Profile p;
    p.name = n.at("name").name();
    profiles_.declare(n.at("name"), p.name);
    p.source = n.at("source").name();
    if (const auto m = n.find("measured")) {
      m->expect_object({"machine", "libraries", "date", "repeats"});
      p.measured =
          Profile::Measurement{m->at("machine").name(), m->at("libraries").name(),
                               m->at("date").name(), m->at("repeats").positive_int(1'000'000)};
      const std::string& date = p.measured->date;
      const bool iso = date.size() == 10 && date[4] == '-' && date[7] == '-' &&
                       std::all_of(date.begin(), date.end(), [](char c) {
                         return c == '-' || std::isdigit(static_cast<unsigned char>(c));
                       });
      if (!iso) m->at("date").fail("must be a date as YYYY-MM-DD");
    }
    for (const JsonNode& c : n.at("curves").elements()) {
      c.expect_object({"device_class", "gpus", "max_batch", "points"});
      Profile::Curve curve;
      curve.device_class = classes_.resolve(c.at("device_class"));
      curve.gpus = c.at("gpus").positive_int(max_gpus_per_replica);
      std::vector<ProfilePoint> points;
      const auto point_nodes = c.at("points").elements();
      if (point_nodes.empty()) c.at("points").fail("needs at least one measured point");
      for (const JsonNode& pt : point_nodes) {
        pt.expect_object({"batch", "latency_ms"});
        const ProfilePoint point{pt.at("batch").positive_int(LatencyCurve::batch_limit),
                                 pt.at("latency_ms").milliseconds(Zero::Refused)};
        for (const ProfilePoint& earlier : points)
          if (earlier.batch == point.batch) pt.at("batch").fail("batch measured twice");
        points.push_back(point);
      }
      int max_batch = 0;
      if (auto m = c.find("max_batch")) {
        max_batch = m->positive_int(LatencyCurve::batch_limit);
        for (const ProfilePoint& point : points)
          if (point.batch > max_batch)
            m->fail(fmt::format("is below the measured batch {}", point.batch));
      }
      curve.latency = LatencyCurve(std::move(points), max_batch);
      p.curves.push_back(std::move(curve));
    }
    return p;
  }

  ServiceSpec read_service(const JsonNode& n) {
    n.expect_object({"name", "profile", "model_memory_gib", "input_kib", "activation_kib",
                     "load_time_s", "slo"});
    ServiceSpec s;
    s.name = n.at("name").name();
    services_.declare(n.at("name"), s.name);
    s.profile = profiles_.resolve(n.at("profile"));
    s.model_memory = n.at("model_memory_gib").bytes(gib, limits::max_memory_gib, Zero::Refused);
    s.input_size = n.at("input_kib").bytes(kib, limits::max_payload_kib, Zero::Allowed);
    if (auto a = n.find("activation_kib"))
      s.activation_size = a->bytes(kib, limits::max_payload_kib, Zero::Allowed);
    if (auto t = n.find("load_time_s")) s.load_time = t->seconds(Zero::Allowed);
    const JsonNode slo = n.at("slo");
    const auto sensitivity = slo.at("type").choice<Sensitivity>(
        {{"latency", Sensitivity::Latency}, {"frequency", Sensitivity::Frequency}});
    if (sensitivity == Sensitivity::Latency) {
      slo.expect_object({"type", "deadline_ms"});
      s.slo = Slo::latency(slo.at("deadline_ms").milliseconds(Zero::Refused));
    } else {
      slo.expect_object({"type", "rate_per_s", "deadline_ms"});
      s.slo = Slo::frequency(
          Rate{slo.at("rate_per_s")
                   .number_in(limits::min_rate_per_s, limits::max_stream_rate_per_s)},
          slo.at("deadline_ms").milliseconds(Zero::Refused));
    }
    return s;
  }

  std::string_view source_;
  NameTable<DeviceClassId> classes_{"device class"};
  NameTable<ServerId> servers_{"server"};
  NameTable<ProfileId> profiles_{"profile"};
  NameTable<ServiceId> services_{"service"};
};

ordered_json slo_to_json(const Slo& slo) {
  if (slo.is_latency()) return {{"type", "latency"}, {"deadline_ms", to_ms(slo.deadline)}};
  return {{"type", "frequency"},
          {"rate_per_s", slo.rate.per_second},
          {"deadline_ms", to_ms(slo.deadline)}};
}

ordered_json curve_to_json(const Profile::Curve& c, const Cluster& cluster) {
  ordered_json points = ordered_json::array();
  for (const ProfilePoint& p : c.latency.points())
    points.push_back({{"batch", p.batch}, {"latency_ms", to_ms(p.latency)}});
  return {{"device_class", cluster.device_class(c.device_class).name},
          {"gpus", c.gpus},
          {"max_batch", c.latency.max_batch()},
          {"points", std::move(points)}};
}

ordered_json server_to_json(const ServerSpec& s, const Cluster& cluster) {
  ordered_json j{{"name", s.name}, {"kind", to_string(s.kind)}};
  ordered_json gpus = ordered_json::array();
  for (std::size_t i = 0; i < s.gpus.size();) {  // runs of one class become {class, count}
    std::size_t end = i;
    while (end < s.gpus.size() && s.gpus[end] == s.gpus[i]) ++end;
    gpus.push_back({{"device_class", cluster.device_class(s.gpus[i]).name}, {"count", end - i}});
    i = end;
  }
  if (!gpus.empty()) j["gpus"] = std::move(gpus);
  if (s.cpu) j["cpu"] = cluster.device_class(*s.cpu).name;
  return j;
}

}  // namespace

Scenario parse_scenario(std::string_view json_text, std::string_view source) {
  const nlohmann::json document = detail::parse_json(json_text, source);
  return ScenarioReader(source).read(document);
}

std::string read_text_file(const std::filesystem::path& path) {
  // A directory opens as a stream that reads nothing: say what it is instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InvalidArgument(fmt::format("{}: is a directory, not a file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument(fmt::format("{}: cannot open for reading", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InvalidArgument(fmt::format("{}: read error", path.string()));
  return text.str();
}

Scenario load_scenario(const std::filesystem::path& path) {
  return parse_scenario(read_text_file(path), path.string());
}

std::string scenario_to_json(const Scenario& scenario) {
  const Cluster& cluster = scenario.cluster;
  ordered_json classes = ordered_json::array();
  for (const DeviceClass& c : cluster.device_classes)
    classes.push_back({{"name", c.name},
                       {"kind", to_string(c.kind)},
                       {"memory_gib", c.memory.as_gib()},
                       {"relative_speed", c.relative_speed}});
  ordered_json servers = ordered_json::array();
  for (const ServerSpec& s : cluster.servers) servers.push_back(server_to_json(s, cluster));
  ordered_json links = ordered_json::array();
  for (const Link& l : cluster.network.links())
    links.push_back({{"between", {cluster.server(l.a).name, cluster.server(l.b).name}},
                     {"latency_ms", to_ms(l.latency)},
                     {"bandwidth_gbps", l.bandwidth.as_gbit_per_s()}});
  ordered_json profiles = ordered_json::array();
  for (const Profile& p : scenario.profiles) {
    ordered_json curves = ordered_json::array();
    for (const Profile::Curve& c : p.curves) curves.push_back(curve_to_json(c, cluster));
    ordered_json profile{{"name", p.name}, {"source", p.source}, {"curves", std::move(curves)}};
    if (p.measured)
      profile["measured"] = {{"machine", p.measured->machine},
                             {"libraries", p.measured->libraries},
                             {"date", p.measured->date},
                             {"repeats", p.measured->repeats}};
    profiles.push_back(std::move(profile));
  }
  ordered_json services = ordered_json::array();
  for (const ServiceSpec& s : scenario.services) {
    ordered_json j{{"name", s.name},
                   {"profile", scenario.profile(s.profile).name},
                   {"model_memory_gib", s.model_memory.as_gib()},
                   {"input_kib", s.input_size.as_kib()}};
    if (s.activation_size > Bytes{}) j["activation_kib"] = s.activation_size.as_kib();
    if (s.load_time > Duration::zero()) j["load_time_s"] = to_seconds(s.load_time);
    j["slo"] = slo_to_json(s.slo);
    services.push_back(std::move(j));
  }

  ordered_json demand = ordered_json::array();
  for (const Demand& d : scenario.demand) {
    ordered_json j{{"service", scenario.service(d.service).name},
                   {"origin", cluster.server(d.origin).name}};
    if (d.streams > 0) {
      j["streams"] = d.streams;
    } else {
      j["rate_per_s"] = d.rate.per_second;
    }
    demand.push_back(std::move(j));
  }

  ordered_json root = ordered_json::object();
  if (!scenario.description.empty()) root["description"] = scenario.description;
  root["device_classes"] = std::move(classes);
  root["servers"] = std::move(servers);
  root["network"] = {{"links", std::move(links)}};
  root["profiles"] = std::move(profiles);
  root["services"] = std::move(services);
  if (!demand.empty()) root["demand"] = std::move(demand);
  return root.dump(2) + "\n";
}

void save_scenario(const Scenario& scenario, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InvalidArgument(fmt::format("{}: cannot open for writing", path.string()));
  out << scenario_to_json(scenario);
  if (!out.flush()) throw InvalidArgument(fmt::format("{}: write error", path.string()));
}

}  // namespace epara::io
