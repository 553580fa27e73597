#pragma once
// Shared by the command-line programs: the embedded default scenario and error reporting.

#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "epara/error.hpp"
#include "epara/io/scenario_json.hpp"
#include "epara/model/limits.hpp"
#include "epara/placement/weighting.hpp"
#include "epara/scenario_warnings.hpp"

namespace epara::cli {

/// examples/scenarios/testbed.json as it was at build time.
std::string_view embedded_testbed_json();
inline constexpr std::string_view embedded_testbed_name = "testbed.json (embedded)";

/// --weighting, for the programs that place (into a std::string or std::optional<std::string>).
template <class Name>
CLI::Option* add_weighting_option(CLI::App& app, Name& name, std::string_view default_note) {
  std::vector<std::string> names;
  names.reserve(weightings.size());
  for (Weighting w : weightings) names.emplace_back(to_string(w));
  return app
      .add_option("--weighting", name,
                  fmt::format("What a served item is worth to placement: items (each alike) or "
                              "demand-share (each service's whole demand alike, so that no "
                              "low-rate service is crowded out); default: {}",
                              default_note))
      ->check(CLI::IsMember(names));
}

/// --serve-every-service, for the programs that place (into a bool or std::optional<bool>).
template <class Flag>
CLI::Option* add_serve_every_service_option(CLI::App& app, Flag& flag,
                                            std::string_view default_note) {
  return app.add_option("--serve-every-service", flag,
                        fmt::format("true: every service with demand first gets one instance "
                                    "where one fits, so that none is left at zero; false: the "
                                    "weighting alone decides; default: {}",
                                    default_note));
}

/// --spare-replicas, for the programs that place (into a bool or std::optional<bool>).
template <class Flag>
CLI::Option* add_spare_replicas_option(CLI::App& app, Flag& flag, std::string_view default_note) {
  return app.add_option("--spare-replicas", flag,
                        fmt::format("true: devices the objective leaves idle host spare replicas "
                                    "of the services most in use, for bursts the planned demand "
                                    "does not show; false: idle devices stay empty; default: {}",
                                    default_note));
}

/// --attainment-floor: a share of every service's demand served first, or one the scheduler
/// chooses itself ("auto": SchedulerOptions::choose_attainment_floor).
struct AttainmentFloorOption {
  bool choose = false;
  double share = 0.0;
};

inline CLI::Option* add_attainment_floor_option(CLI::App& app,
                                                std::optional<AttainmentFloorOption>& floor,
                                                std::string_view default_note) {
  const CLI::Validator auto_or_share(
      [](std::string& text) -> std::string {
        if (text == "auto") return {};
        try {
          std::size_t used = 0;
          const double share = std::stod(text, &used);
          if (used == text.size() && share >= 0.0 && share <= 1.0) return {};
        } catch (const std::exception&) {  // not a number: the message below
        }
        return fmt::format("must be \"auto\" or a number in [0, 1] (got '{}')", text);
      },
      "auto|[0,1]");
  return app
      .add_option_function<std::string>(
          "--attainment-floor",
          [&floor](const std::string& text) {
            floor = text == "auto" ? AttainmentFloorOption{true, 0.0}
                                   : AttainmentFloorOption{false, std::stod(text)};
          },
          fmt::format("Serve every service up to this share of its demand (0 to 1) before the "
                      "weighting places the rest; auto: the scheduler chooses the floor that "
                      "lifts the worst service most for at most 1% of the planned items; "
                      "default: {}",
                      default_note))
      ->check(auto_or_share);
}

/// "96 GPUs", "96 GPUs, 4 CPUs" or "2 CPUs": the devices services can run on.
inline std::string devices_summary(const Cluster& cluster) {
  const std::size_t gpus = cluster.gpu_count(), cpus = cluster.cpu_count();
  if (gpus == 0) return fmt::format("{} CPUs", cpus);
  return cpus == 0 ? fmt::format("{} GPUs", gpus) : fmt::format("{} GPUs, {} CPUs", gpus, cpus);
}

/// The scenario in `path`, or the embedded testbed when `path` is empty.
inline Scenario load_scenario_or_testbed(const std::string& path) {
  if (path.empty()) return io::parse_scenario(embedded_testbed_json(), embedded_testbed_name);
  return io::load_scenario(path);
}

/// Prints `scenario`'s warnings (scenario_warnings) to standard error as
/// "program: warning: source: message".
inline void print_scenario_warnings(std::string_view program, std::string_view source,
                                    const Scenario& scenario) {
  for (const std::string& w : scenario_warnings(scenario))
    fmt::print(stderr, "{}: warning: {}: {}\n", program, source, w);
}

/// Writes `text` to `path`; InvalidArgument naming the path when it cannot.
inline void write_text_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  if (!(out << text) || !out.flush()) throw InvalidArgument(fmt::format("{}: cannot write", path));
}

/// What every program's command line has: --version, and each option's default in --help
/// (call it before adding the options).
inline void add_standard_options(CLI::App& app) {
  app.set_version_flag("--version", std::string(EPARA_VERSION));
  app.option_defaults()->always_capture_default();
}

/// A number check whose error names the value and the range `name` ("> 0", "in [1, 2]"):
/// CLI11's own checks print the whole range of a double, 300 digits.
template <class Inside>
CLI::Validator number_check(std::string name, Inside inside) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0.0;
        if (!CLI::detail::lexical_cast(text, v)) return fmt::format("{} is not a number", text);
        return inside(v) ? "" : fmt::format("must be {} (got {})", name, text);
      },
      name);
}
inline CLI::Validator number_above(double bound, bool inclusive) {
  return number_check(fmt::format("{} {}", inclusive ? ">=" : ">", bound),
                      [=](double v) { return inclusive ? v >= bound : v > bound; });
}
inline const CLI::Validator positive = number_above(0.0, false);
inline const CLI::Validator non_negative = number_above(0.0, true);
/// A number in [min, max], or (min, max] when `open_min`.
inline CLI::Validator number_in(double min, double max, bool open_min = false) {
  return number_check(fmt::format("in {}{}, {}]", open_min ? "(" : "[", min, max),
                      [=](double v) { return (open_min ? v > min : v >= min) && v <= max; });
}
/// The ranges of a time in seconds and of a factor on the demand (include/epara/model/limits.hpp).
inline const CLI::Validator seconds = number_in(0.0, limits::max_seconds, true);
inline const CLI::Validator seconds_or_zero = number_in(0.0, limits::max_seconds);
inline const CLI::Validator load_factor =
    number_in(limits::min_load_factor, limits::max_load_factor);

/// Runs `body`, turning libepara's errors into "program: error: message" and exit code 1.
template <class Body>
int run_reporting_errors(std::string_view program, Body&& body) {
  try {
    return body();
  } catch (const epara::Error& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: internal error: {}\n", program, e.what());
  }
  return 1;
}

}  // namespace epara::cli
