// epara-categorize: prints each service's category (LS-1, LS-N, FS-1, FS-N) and why.

#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "epara/categorize.hpp"

namespace {

void print_table(const epara::Scenario& s, std::string_view source) {
  fmt::print("{}: {} servers, {}, {} services\n\n", source, s.cluster.servers.size(),
             epara::cli::devices_summary(s.cluster), s.services.size());
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const auto& service = s.services[i];
    const auto c = epara::categorize(s, epara::id_at<epara::ServiceId>(i));
    fmt::print("{:<22} {}  {:<24} ({})\n    {}\n", service.name, c.category,
               epara::to_string(c.rule), fmt::format("{}", service.slo), c.reason);
  }
}

void print_json(const epara::Scenario& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const auto c = epara::categorize(s, epara::id_at<epara::ServiceId>(i));
    out.push_back({{"service", s.services[i].name},
                   {"category", epara::code(c.category)},
                   {"rule", epara::to_string(c.rule)},
                   {"device_class", s.cluster.device_class(c.device_class).name},
                   {"reason", c.reason}});
  }
  fmt::print("{}\n", out.dump(2));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Categorizes every service of a scenario as LS-1, LS-N, FS-1 or FS-N, and says why."};
  epara::cli::add_standard_options(app);
  std::string scenario_path;
  bool json = false;
  app.add_option("scenario", scenario_path,
                 "Scenario JSON file (default: the embedded examples/scenarios/testbed.json)");
  app.add_flag("--json", json, "Print JSON instead of a table");
  CLI11_PARSE(app, argc, argv);

  return epara::cli::run_reporting_errors("epara-categorize", [&] {
    const epara::Scenario scenario = epara::cli::load_scenario_or_testbed(scenario_path);
    if (json) {
      print_json(scenario);
    } else {
      print_table(scenario, scenario_path.empty() ? epara::cli::embedded_testbed_name
                                                  : std::string_view(scenario_path));
    }
    return 0;
  });
}
