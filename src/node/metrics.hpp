#pragma once
// What a node counts, for its /metrics endpoint in the Prometheus text format (0.0.4): per
// model, requests by outcome and gRPC status, offloads in and out, passes (latency and batch
// size) and instance loads and unloads. The node's gauges (queue depth, sync age, placement
// epoch, live nodes) are read when scraped and passed to render(). Thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epara/units.hpp"
#include "status_name.hpp"

namespace epara::node {

/// A sample read at scrape time: `labels` as written between braces (may be empty); a gauge,
/// or a counter kept elsewhere (`counter`).
struct GaugeSample {
  std::string name, help, labels;
  double value = 0.0;
  bool counter = false;
};

class NodeMetrics {
 public:
  /// `models`: the names of the models (services) this node can run.
  explicit NodeMetrics(const std::vector<std::string>& models);

  /// A client request of `items` rows to `model` ended with `code` (OK: in SLO, or late);
  /// `took`: from arrival to answer at this node.
  void request(std::string_view model, grpc::StatusCode code, bool late, Duration took,
               std::size_t items);
  /// An offload of `model` this node sent (`out`) or received, and whether it was answered.
  void offload(std::string_view model, bool out, bool ok);
  /// A pass of `batch` items of `model` ran here in `took`.
  void pass(std::string_view model, std::size_t batch, Duration took);
  /// A placement started `loaded` and stopped `unloaded` instances of `model` here.
  void instances(std::string_view model, int loaded, int unloaded);

  /// A model's totals since start, as KServe/Triton ModelStatistics reports them.
  struct Totals {
    std::uint64_t success = 0, fail = 0;   // client requests answered / failed
    Duration success_time{}, fail_time{};  // their summed times at this node
    std::uint64_t items = 0;               // items answered
    struct Passes {
      std::uint64_t count = 0;
      Duration time{};
      // Their squared times summed: with count and time, the spread of a pass's time at this
      // batch size (tools/fidelity.py gives it to the simulator: simulation.pass_time_cv).
      double squared_seconds = 0.0;
    };
    std::map<std::size_t, Passes> passes;  // by batch size
    std::int64_t last_ms = 0;              // last answer, ms since the epoch; 0: none
  };
  /// nullopt for a model this node does not run.
  std::optional<Totals> totals(std::string_view model) const;

  /// Every metric, then `gauges` (grouped by name), in the Prometheus text format.
  std::string render(const std::vector<GaugeSample>& gauges) const;

 private:
  class Histogram {
   public:
    explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
      counts_.assign(bounds_.size() + 1, 0);
    }
    void observe(double value);
    void render(std::string& out, std::string_view name, std::string_view labels) const;

   private:
    std::vector<double> bounds_;         // upper bounds, ascending; +Inf after them
    std::vector<std::uint64_t> counts_;  // per bucket (not cumulative)
    double sum_ = 0.0;
  };
  struct PerModel {
    // Keys are static names (literals, status_name()): counting allocates nothing.
    std::map<std::pair<std::string_view, std::string_view>, std::uint64_t>
        requests;  // outcome, code
    std::map<std::pair<std::string_view, std::string_view>, std::uint64_t> offloads;  // way, result
    std::uint64_t loads = 0, unloads = 0;
    Histogram request_seconds, pass_seconds, batch_size;
    Totals totals;
    PerModel();
  };
  PerModel* find(std::string_view model);
  const PerModel* find(std::string_view model) const;

  mutable std::mutex mutex_;
  std::map<std::string, PerModel, std::less<>> models_;  // fixed at construction
};

/// A label value as the text format quotes it (backslash, quote and newline escaped).
std::string label_value(std::string_view value);

}  // namespace epara::node
