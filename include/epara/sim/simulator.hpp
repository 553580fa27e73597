#pragma once
// Running simulations: one run of one strategy, and the registry of strategies by name.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "epara/sim/metrics.hpp"
#include "epara/sim/strategy.hpp"
#include "epara/sim/trace.hpp"

namespace epara::sim {

/// Simulates `scenario` under `strategy`: deterministic for config.seed. `trace` holds the rows
/// config.trace replays (parse them with load_azure_trace; ignored without config.trace).
/// The scenario must be valid (validate()); throws InvalidArgument for a config that does not
/// fit it (a fault or trace naming an unknown server, a non-positive duration ...).
RunMetrics simulate(const Scenario& scenario, const SimulationConfig& config, Strategy& strategy,
                    std::vector<TraceRow> trace = {});

/// Strategies by name, for programs that compare them. Not a singleton: make one where needed.
class StrategyRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Strategy>()>;

  /// epara, uncategorized, nexus, alpaserve, offload (docs/baselines.md).
  static StrategyRegistry with_builtins();

  void add(std::string name, std::string description, Factory factory);
  /// A new instance of the named strategy; InvalidArgument listing the known names otherwise.
  std::unique_ptr<Strategy> make(std::string_view name) const;
  std::vector<std::string> names() const;
  const std::string& description(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };
  const Entry& find(std::string_view name) const;
  std::vector<Entry> entries_;
};

}  // namespace epara::sim
