// epara-allocate: categorizes every service of a scenario, chooses its parallel plan for the
// scenario's demand, and shows which services share devices (multi-task).

#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "epara/parallel/allocator.hpp"
#include "epara/parallel/explain.hpp"
#include "epara/parallel/multi_task.hpp"

namespace {

using namespace epara;

struct Row {
  ServiceId service;
  Load load;
  ServiceAllocation result;
};

std::vector<Row> allocate_all(const Scenario& s) {
  const Allocator<> allocator;
  const auto loads = total_load(s.demand, s.services.size());
  std::vector<Row> rows;
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const Load& load = loads[i];
    if (load.rate.per_second <= 0.0 && load.streams == 0) continue;  // no demand, no plan
    const auto id = id_at<ServiceId>(i);
    rows.push_back({id, load, allocate_service(allocator, s, id, load)});
  }
  return rows;
}

std::string load_text(const ServiceSpec& service, const Load& load) {
  return service.slo.is_latency() ? fmt::format("{} requests", load.rate)
                                  : fmt::format("{} streams", load.streams);
}

void print_table(const Scenario& s, std::string_view source, const std::vector<Row>& rows,
                 const std::vector<SharedTenant>& tenants,
                 const std::vector<SharedDevice>& shared) {
  fmt::print("{}: {} servers, {}, {} services ({} with demand)\n", source, s.cluster.servers.size(),
             epara::cli::devices_summary(s.cluster), s.services.size(), rows.size());
  double total = 0;
  for (const Row& r : rows) {
    const ServiceSpec& service = s.service(r.service);
    const Categorization& c = r.result.categorization;
    const Allocation& a = r.result.allocation;
    fmt::print("\n{}  {}  {}; load {}\n  category: {}\n", service.name, c.category, service.slo,
               load_text(service, r.load), c.reason);
    if (a.feasible()) {
      total += gpu_equivalents(a.plan, s.cluster);
      fmt::print("  plan:     {}\n", explain(a.plan, service.slo, s.cluster.device_classes));
    } else {
      fmt::print("  plan:     INFEASIBLE ({}): {}\n", to_string(a.status), a.reason);
      if (a.status == AllocationStatus::NotEnoughDevices ||
          a.status == AllocationStatus::DeadlineTooTight)
        fmt::print("  closest:  {}\n", explain(a.plan, service.slo, s.cluster.device_classes));
    }
  }
  fmt::print("\nTotal: {:.2f} GPU-equivalents (devices x relative speed; CPUs count 0)\n", total);
  if (shared.empty()) return;
  fmt::print("\nMulti-task: services sharing a device\n");
  for (std::size_t d = 0; d < shared.size(); ++d) {
    const SharedDevice& dev = shared[d];
    std::string members;
    for (std::size_t i = 0; i < dev.tenants.size(); ++i) {
      const Row& row = rows[dev.tenants[i]];
      members +=
          fmt::format("{}{} ({:.0f}%, worst {})", i == 0 ? "" : ", ", s.service(row.service).name,
                      tenants[dev.tenants[i]].plan.gpu_share * 100, format_duration(dev.worst[i]));
    }
    fmt::print("  {} #{}: {} = {:.0f}% busy, {}\n", s.cluster.device_class(dev.device_class).name,
               d + 1, members, dev.share * 100, dev.memory);
  }
}

nlohmann::ordered_json plan_json(const Plan& p, const Scenario& s, const Slo& slo) {
  return {{"device_class", s.cluster.device_class(p.device_class).name},
          {"modes", p.modes.to_string()},
          {"gpus_per_replica", p.gpus_per_replica},
          {"replicas", p.replicas},
          {"split", p.split},
          {"max_batch", p.max_batch},
          {"frames_per_pass", p.frames_per_pass},
          {"batch_timeout_ms", to_ms(p.batch_timeout)},
          {"gpu_share", p.gpu_share},
          {"worst_latency_ms", to_ms(p.worst_latency)},
          {"utilization", p.utilization},
          {"demand_per_s", p.demand.per_second},
          {"capacity_per_s", p.capacity.per_second},
          {"devices", p.devices()},
          {"explanation", explain(p, slo, s.cluster.device_classes)}};
}

void print_json(const Scenario& s, const std::vector<Row>& rows,
                const std::vector<SharedDevice>& shared) {
  nlohmann::ordered_json services = nlohmann::ordered_json::array();
  for (const Row& r : rows) {
    const ServiceSpec& service = s.service(r.service);
    const Allocation& a = r.result.allocation;
    services.push_back({{"service", service.name},
                        {"category", code(r.result.categorization.category)},
                        {"status", to_string(a.status)},
                        {"reason", a.reason},
                        {"plan", plan_json(a.plan, s, service.slo)}});
  }
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const SharedDevice& d : shared) {
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (std::size_t t : d.tenants) names.push_back(s.service(rows[t].service).name);
    devices.push_back({{"device_class", s.cluster.device_class(d.device_class).name},
                       {"services", std::move(names)},
                       {"share", d.share}});
  }
  fmt::print("{}\n", nlohmann::ordered_json{{"services", std::move(services)},
                                            {"shared_devices", std::move(devices)}}
                         .dump(2));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Chooses each service's parallel plan (batching, multi-task, model parallel, "
      "multi-frame, data parallel) for a scenario's demand, and explains it."};
  epara::cli::add_standard_options(app);
  std::string scenario_path;
  bool json = false;
  app.add_option("scenario", scenario_path,
                 "Scenario JSON file with a demand section (default: the embedded testbed)");
  app.add_flag("--json", json, "Print JSON instead of text");
  CLI11_PARSE(app, argc, argv);

  return epara::cli::run_reporting_errors("epara-allocate", [&] {
    const Scenario scenario = cli::load_scenario_or_testbed(scenario_path);
    const auto rows = allocate_all(scenario);
    // Rows indices double as tenant indices; only multi-task plans are packed.
    std::vector<SharedTenant> tenants(rows.size());
    std::vector<SharedTenant> sharing;
    std::vector<std::size_t> sharing_row;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Allocation& a = rows[i].result.allocation;
      tenants[i] = {a.plan, scenario.service(rows[i].service).slo.deadline};
      if (a.feasible() && a.plan.modes.contains(Mode::MultiTask)) {
        sharing.push_back(tenants[i]);
        sharing_row.push_back(i);
      }
    }
    auto shared = pack_multi_task(sharing, scenario.cluster.device_classes);
    for (SharedDevice& d : shared)
      for (std::size_t& t : d.tenants) t = sharing_row[t];  // back to row indices
    if (json) {
      print_json(scenario, rows, shared);
    } else {
      print_table(
          scenario,
          scenario_path.empty() ? cli::embedded_testbed_name : std::string_view(scenario_path),
          rows, tenants, shared);
    }
    return 0;
  });
}
