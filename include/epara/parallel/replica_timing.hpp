#pragma once
// How long one replica takes per pass, for every batch size it may run: the input of sizing.

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "epara/model/profile.hpp"
#include "epara/parallel/cost_model.hpp"
#include "epara/parallel/problem.hpp"

namespace epara {

/// Where a replica's latencies come from.
enum class TimingSource {
  Profiled,  ///< the profile's curve for k devices (measured, or scaled from another class)
  Pipeline,  ///< k pipeline stages derived from the one-device curve plus stage transfers
};

/// Pass latency and pass interval (time between pass starts when saturated) of one replica,
/// for batches 1..max_batch(). Both are made non-decreasing in the batch (a running maximum), so
/// a noisy profile never predicts a larger batch to be faster than a smaller one.
struct ReplicaTiming {
  int gpus = 1;
  TimingSource source = TimingSource::Profiled;
  bool shared = false;  ///< the interference factor is applied (multi-task)
  bool scaled = false;  ///< the curve was measured on another class and scaled by speed
  DeviceClassId measured_on{};
  Duration stage_hop{};              ///< pipeline only: fixed cost of one stage-to-stage transfer
  double stage_ns_per_item = 0.0;    ///< pipeline only: activation transfer per item
  std::vector<Duration> pass{};      ///< [b - 1]
  std::vector<Duration> interval{};  ///< [b - 1]

  int max_batch() const noexcept { return static_cast<int>(pass.size()); }
  Duration pass_at(int batch) const { return pass[static_cast<std::size_t>(batch - 1)]; }
  Duration interval_at(int batch) const { return interval[static_cast<std::size_t>(batch - 1)]; }
  /// Interval at a fractional batch (an expected batch size), interpolated, in nanoseconds.
  double interval_ns(double batch) const noexcept {
    const double x = std::clamp(batch, 1.0, static_cast<double>(max_batch()));
    const auto lo = static_cast<std::size_t>(std::floor(x)) - 1;
    const std::size_t hi = std::min(lo + 1, interval.size() - 1);
    const double t = x - std::floor(x);
    return (1.0 - t) * static_cast<double>(interval[lo].count()) +
           t * static_cast<double>(interval[hi].count());
  }
  /// Transfer between two pipeline stages for a batch (zero unless pipelined).
  Duration stage_transfer(int batch) const noexcept {
    if (source != TimingSource::Pipeline) return Duration::zero();
    return stage_hop + Duration{std::llround(stage_ns_per_item * batch)};
  }
};

/// Memory each of k devices holds for one replica.
inline Bytes memory_per_device(const ServiceSpec& service, int k) noexcept {
  return Bytes{(service.model_memory.count + k - 1) / k};
}

/// The timing of a replica of `k` devices of the problem's class, or nullopt when the profile
/// gives no latency for it. A Pipeline replica runs k balanced stages of the one-device model:
///   pass(b)     = L1(b) + (k-1) · transfer(b)
///   interval(b) = L1(b) / (k · balance) + transfer(b)   (the slowest stage bounds throughput)
///   transfer(b) = hop latency + b · activation size / link bandwidth
/// A shared replica's pass and interval are multiplied by the interference factor.
inline std::optional<ReplicaTiming> replica_timing(const AllocationProblem& problem,
                                                   const CostModel& model, int k,
                                                   TimingSource source, bool shared) {
  const int curve_k = source == TimingSource::Pipeline ? 1 : k;
  const auto choice =
      choose_curve(problem.profile, problem.classes, problem.pool.device_class, curve_k);
  if (!choice) return std::nullopt;
  ReplicaTiming t;
  t.gpus = k;
  t.source = source;
  t.shared = shared;
  t.measured_on = choice->measured_on;
  t.scaled = choice->measured_on != problem.pool.device_class;
  if (source == TimingSource::Pipeline) {
    t.stage_hop = model.stage_hop_latency;
    t.stage_ns_per_item = static_cast<double>(problem.service.activation_size.count) /
                          model.stage_bandwidth.bytes_per_second * 1e9;
  }
  const double factor = choice->factor * (shared ? model.interference : 1.0);
  const int max_batch = choice->curve->max_batch();
  t.pass.reserve(static_cast<std::size_t>(max_batch));
  t.interval.reserve(static_cast<std::size_t>(max_batch));
  for (int b = 1; b <= max_batch; ++b) {
    const double compute = static_cast<double>(choice->curve->latency(b).count()) * factor;
    double pass_ns = compute;
    double interval_ns = compute;
    if (source == TimingSource::Pipeline) {
      const auto transfer = static_cast<double>(t.stage_transfer(b).count());
      pass_ns = compute + (k - 1) * transfer;
      interval_ns = compute / (k * model.pipeline_balance) + transfer;
    }
    Duration pass{std::llround(pass_ns)}, interval{std::llround(interval_ns)};
    if (!t.pass.empty()) {
      pass = std::max(pass, t.pass.back());
      interval = std::max(interval, t.interval.back());
    }
    t.pass.push_back(pass);
    t.interval.push_back(interval);
  }
  return t;
}

/// The timing of k devices of class `cls` for one of a scenario's services (replica_timing for
/// its problem with a pool of exactly those k devices).
inline std::optional<ReplicaTiming> replica_timing(const Scenario& s, ServiceId id,
                                                   DeviceClassId cls, int k, TimingSource source,
                                                   const CostModel& model = {}) {
  const ServiceSpec& service = s.service(id);
  const AllocationProblem problem{service,
                                  s.profile_of(service),
                                  categorize(s, id).category,
                                  s.cluster.device_classes,
                                  GpuPool{cls, k, k},
                                  Load{Rate{1}, 1}};
  return replica_timing(problem, model, k, source, false);
}

}  // namespace epara
