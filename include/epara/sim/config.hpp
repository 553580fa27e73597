#pragma once
// What a simulation run does besides the scenario: how long, how load arrives, how servers
// synchronize and re-place, and what fails when.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "epara/handler/request_handler.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/limits.hpp"
#include "epara/parallel/cost_model.hpp"
#include "epara/placement/ground_set.hpp"
#include "epara/placement/weighting.hpp"
#include "epara/units.hpp"

namespace epara::sim {

enum class ArrivalProcess {
  Poisson,  ///< exponential inter-arrival times
  Gamma,    ///< Gamma inter-arrival times with coefficient of variation `burstiness` (> 1: bursty)
};

/// From `at` on, the scenario's demand is multiplied by `factor` (a time-varying load): all of
/// it, or only one service's, one origin's, or one service's at one origin. A moving hot spot is
/// a pair of steps (one origin down, another up); a ramp is a series of steps.
struct LoadStep {
  Duration at{};
  double factor = 1.0;
  std::optional<ServiceId> service{};  ///< none: every service
  std::optional<ServerId> origin{};    ///< none: every origin

  bool applies_to(ServiceId s, ServerId o) const noexcept {
    return (!service || *service == s) && (!origin || *origin == o);
  }
};

enum class FaultKind { ServerDown, ServerUp, DeviceDown, DeviceUp };

struct Fault {
  Duration at{};
  FaultKind kind = FaultKind::ServerDown;
  ServerId server{};
  DeviceSlot device = 0;  ///< for DeviceDown / DeviceUp
};

/// Replay of an LLM request trace (e.g. the Azure conversation trace): arrivals from its
/// timestamps, each request's work from its token counts relative to the trace's mean.
struct TraceReplay {
  std::string file{};  ///< CSV: TIMESTAMP, ContextTokens, GeneratedTokens
  ServiceId service{};
  std::vector<ServerId> origins{};  ///< requests are spread over these round-robin
  double speedup = 1.0;             ///< time compression of the trace (2: twice the request rate)
  double prefill_weight = 0.1;      ///< cost of a context token relative to a generated token
};

struct SimulationConfig {
  Duration duration = std::chrono::seconds(60);  ///< arrivals stop here; the run then drains
  Duration warmup = std::chrono::seconds(5);     ///< metrics ignore requests arriving before
  std::uint64_t seed = 1;
  ArrivalProcess arrivals = ArrivalProcess::Poisson;
  double burstiness = 1.0;  ///< Gamma only: coefficient of variation of inter-arrival times
  double load_scale = 1.0;  ///< every demand multiplied by this
  std::vector<LoadStep> load_profile{};
  Duration sync_period = std::chrono::milliseconds(100);
  double sync_loss = 0.0;  ///< probability that a sync message (or ack) is lost
  Duration sync_delay{};   ///< extra delay of every sync message (stale views)
  Duration placement_period = std::chrono::seconds(30);  ///< strategies that re-place do so
  /// Time from a server or device failure until it is known (the sync ring's acknowledgement
  /// timeout and the news going round): strategies that re-place do so then, out of period.
  Duration failure_detection = std::chrono::milliseconds(500);
  /// What EPARA's placement values (the state-aware scheduler's objective).
  Weighting weighting = Weighting::Items;
  /// EPARA's placement first gives every service with demand one instance where one fits
  /// (SchedulerOptions::serve_every_service); false: the objective alone decides.
  bool serve_every_service = true;
  /// EPARA's placement puts spare replicas on the devices its objective leaves idle
  /// (SchedulerOptions::spare_replicas); they run what is queued as soon as they are free.
  bool spare_replicas = true;
  /// EPARA's placement first serves every service up to this share of its demand, then items
  /// (SchedulerOptions::attainment_floor); 0: no floor.
  double attainment_floor = 0.0;
  /// EPARA's scheduler chooses the floor each time it places, in place of attainment_floor
  /// (SchedulerOptions::choose_attainment_floor; scenario "attainment_floor": "auto"). Not the
  /// default: it lifts the worst service on overloaded clusters, but costs GPUs at a 99%
  /// attainment target (docs/results.md, "A floor the scheduler chooses").
  bool choose_attainment_floor = false;
  /// How much slower a pass runs on a device shared by several instances (the simulated
  /// hardware's truth; strategies plan with their own estimate, CostModel::interference, which
  /// it equals by default).
  double interference = CostModel{}.interference;
  /// How much longer every pass runs than its profile says: the simulated devices' speed
  /// against the profile (the hardware's truth; strategies plan with the profile). 1.1: passes
  /// 10% slower than profiled. tools/fidelity.py sets it to the speed a real node's passes ran.
  double pass_time_scale = 1.0;
  /// The same by batch size where one differs from the others: element i for passes of i + 1
  /// items (batches beyond the list: pass_time_scale). What a device runs, not what is planned:
  /// strategies, and executors' estimates, use the profile times pass_time_scale.
  /// tools/fidelity.py gives each batch size a real node ran often its speed there (a profile
  /// whose batch of 1 takes a sixth of a batch of 2 puts a knee at the rate batches of 1
  /// sustain, and a few percent there decide whether a run batches: docs/results.md).
  std::vector<double> pass_time_scale_by_batch{};
  /// How much passes of the same batch vary: each pass takes its time above times a factor
  /// drawn from a log-normal distribution of mean 1 and this coefficient of variation (0: every
  /// pass as long as the profile says). Strategies and executors still plan with the mean. A
  /// real node's passes varied by 0.06-0.12 on an AMD EPYC where the profile's repetitions
  /// varied by 0.04-0.08 (tools/fidelity.py measures both; docs/results.md, "Passes vary").
  double pass_time_cv = 0.0;
  /// When an executor forms a batch it leaves out the items the pass would finish after their
  /// deadline (earliest deadline first, the pass shortening with each; rejected as overloaded)
  /// instead of spending the GPU on them — the queue policy a serving deployment configures,
  /// given to every strategy alike.
  bool drop_expired = true;
  std::vector<Fault> faults{};
  std::optional<TraceReplay> trace{};
  /// The most items the run may offer (every demand at its peak factor for the whole duration,
  /// plus the trace's rows), and the most sync messages and placement candidates its periods
  /// may schedule: simulate() refuses a run beyond either, so that a mistyped rate or period
  /// fails at once instead of running for days.
  double max_items = limits::default_max_items;
  HandlerOptions handler{};
  /// Called now and then during a run with the fraction of simulated time done (a progress
  /// bar); empty: not called.
  std::function<void(double)> on_progress{};
};

/// The factor on the declared demand of `service` at `origin` at time `at` of the run: that of
/// the latest step at or before `at` that applies to the pair (1 before any).
inline double load_factor(const SimulationConfig& config, Duration at, ServiceId service,
                          ServerId origin) {
  double factor = 1.0;
  Duration latest = Duration::min();
  for (const LoadStep& step : config.load_profile)
    if (step.at <= at && step.at >= latest && step.applies_to(service, origin)) {
      factor = step.factor;
      latest = step.at;
    }
  return factor;
}

/// The largest factor the profile ever sets for the pair (at least 1, the factor before any step).
inline double peak_load_factor(const SimulationConfig& config, ServiceId service, ServerId origin) {
  double peak = 1.0;
  for (const LoadStep& step : config.load_profile)
    if (step.applies_to(service, origin)) peak = std::max(peak, step.factor);
  return peak;
}

}  // namespace epara::sim
