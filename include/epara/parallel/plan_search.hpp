#pragma once
// PlanSearch: what a policy hands its candidate configurations to. It sizes each candidate,
// keeps the least-cost feasible plan, and otherwise the closest infeasible one and why.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "epara/parallel/plan.hpp"
#include "epara/parallel/sizing.hpp"

namespace epara {

/// One configuration a policy asks PlanSearch to size.
struct PlanCandidate {
  int gpus = 1;  ///< k devices per replica
  TimingSource source = TimingSource::Profiled;
  bool shared = false;  ///< multi-task: one replica on a share of one device
  int split = 1;        ///< streams: replicas each stream's items are spread over
};

class PlanSearch {
 public:
  PlanSearch(const AllocationProblem& problem, const CostModel& model)
      : problem_(problem), model_(model) {}

  const AllocationProblem& problem() const noexcept { return problem_; }
  const CostModel& cost_model() const noexcept { return model_; }

  /// Sizes `c` and records the outcome. Returns true when it produced a feasible plan.
  bool consider(const PlanCandidate& c) {
    if (c.gpus < 1 || c.gpus > problem_.pool.max_per_replica || c.split < 1) return false;
    const DeviceClass& cls = problem_.classes[index_of(problem_.pool.device_class)];
    if (memory_per_device(problem_.service, c.gpus) > cls.memory) {
      note_memory(c.gpus);
      return false;
    }
    const ReplicaTiming* timing = timing_for(c);
    if (timing == nullptr) {
      note(AllocationStatus::NoProfile, Plan{}, 0.0);
      return false;
    }
    const LoadShape load = load_shape(c.split);
    if (best_ && !c.shared && fewest_devices(*timing, load, c.gpus) > best_->devices())
      return false;  // cannot beat the plan in hand, even at full utilization
    SizingOptions options;
    options.deadline = problem_.service.slo.deadline;
    options.max_utilization = model_.max_utilization;
    options.efficiency = model_.data_parallel_efficiency;
    options.max_replicas = c.shared ? 1 : problem_.pool.total / c.gpus;
    options.reserve =
        c.shared
            ? from_seconds(model_.co_location_reserve * to_seconds(problem_.service.slo.deadline))
            : Duration::zero();
    options.fewest_replicas = !c.shared;
    const SizingOutcome sized = size_replicas(*timing, load, options);
    if (!sized.best) {
      const Plan closest = make_plan(c, *timing, load, sized.closest);
      if (sized.deadline_unreachable) {
        note(AllocationStatus::DeadlineTooTight, closest,
             -static_cast<double>(closest.worst_latency.count()));
      } else {
        note(AllocationStatus::NotEnoughDevices, closest, closest.capacity / closest.demand);
      }
      return false;
    }
    Plan plan = make_plan(c, *timing, load, *sized.best);
    if (c.shared) {
      plan.gpu_share = sized.best->utilization / model_.max_utilization;
      if (plan.gpu_share > model_.max_share) return false;  // then a whole device is better
    }
    if (!best_ || better(plan, *best_)) best_ = plan;
    return true;
  }

  /// The least-cost feasible plan, or the closest infeasible one with its reason.
  Allocation result() const {
    if (best_) return {AllocationStatus::Feasible, *best_, {}};
    if (!shortfall_) {
      return {AllocationStatus::NoProfile, Plan{},
              "no candidate configuration was proposed for this category"};
    }
    return {shortfall_->status, shortfall_->plan, reason(*shortfall_)};
  }

 private:
  // A lower bound on the devices `timing` needs for `load`: every replica at the utilization
  // cap with its best throughput among batches that fit the deadline.
  double fewest_devices(const ReplicaTiming& t, const LoadShape& load, int k) const {
    double peak = 0.0;
    for (int b = 1; b <= t.max_batch(); ++b) {
      if (t.interval_at(b) + t.pass_at(b) > problem_.service.slo.deadline) break;
      peak = std::max(peak, b / to_seconds(t.interval_at(b)));
    }
    if (peak == 0.0) return 0.0;  // infeasible anyway: let sizing say why
    return k * std::ceil(load.total() / (peak * model_.max_utilization));
  }

  // Timings are built once per (k, source, shared) and reused across stream splits.
  const ReplicaTiming* timing_for(const PlanCandidate& c) {
    for (const auto& [key, timing] : timings_)
      if (key.gpus == c.gpus && key.source == c.source && key.shared == c.shared)
        return timing ? &*timing : nullptr;
    timings_.emplace_back(c, replica_timing(problem_, model_, c.gpus, c.source, c.shared));
    const auto& built = timings_.back().second;
    return built ? &*built : nullptr;
  }

  struct Shortfall {
    AllocationStatus status;
    Plan plan;
    double merit;  // within one status: higher is closer to feasible
    int gpus = 0;  // MemoryExceeded: the largest replica tried
  };

  static int rank(AllocationStatus s) noexcept {
    switch (s) {
      case AllocationStatus::NotEnoughDevices:
        return 3;
      case AllocationStatus::DeadlineTooTight:
        return 2;
      case AllocationStatus::MemoryExceeded:
        return 1;
      default:
        return 0;
    }
  }

  void note(AllocationStatus status, const Plan& plan, double merit, int gpus = 0) {
    if (shortfall_ && (rank(status) < rank(shortfall_->status) ||
                       (status == shortfall_->status && merit <= shortfall_->merit)))
      return;
    shortfall_ = Shortfall{status, plan, merit, gpus};
  }
  void note_memory(int gpus) {
    Plan p;
    p.device_class = problem_.pool.device_class;
    p.gpus_per_replica = gpus;
    p.memory_per_gpu = memory_per_device(problem_.service, gpus);
    note(AllocationStatus::MemoryExceeded, p, gpus, gpus);
  }

  LoadShape load_shape(int split) const {
    const Slo& slo = problem_.service.slo;
    if (slo.is_latency()) return {problem_.load.rate.per_second, 0, 1};
    return {slo.rate.per_second, problem_.load.streams, split};
  }

  // Lower device cost first, then lower worst latency, then fewer replicas.
  static bool better(const Plan& a, const Plan& b) {
    if (a.devices() != b.devices()) return a.devices() < b.devices();
    if (a.worst_latency != b.worst_latency) return a.worst_latency < b.worst_latency;
    return a.replicas < b.replicas;
  }

  Plan make_plan(const PlanCandidate& c, const ReplicaTiming& t, const LoadShape& load,
                 const Sizing& s) const {
    Plan p;
    p.device_class = problem_.pool.device_class;
    p.gpus_per_replica = c.gpus;
    p.replicas = s.replicas;
    p.split = load.is_streams() ? load.split : 1;
    p.max_batch = s.batch;
    p.batch_timeout = s.timeout;
    p.pipelined = c.source == TimingSource::Pipeline;
    p.pass_latency = t.pass_at(s.batch);
    p.pass_interval = t.interval_at(s.batch);
    p.stage_transfer = t.stage_transfer(s.batch);
    p.worst_latency = s.worst;
    p.effective_batch = s.effective_batch;
    p.utilization = s.utilization;
    p.demand = Rate{load.total()};
    p.capacity = Rate{s.capacity};
    p.memory_per_gpu = memory_per_device(problem_.service, c.gpus);
    if (load.is_streams()) {
      p.streams_per_replica = load.slices_per_replica(s.replicas);
      // Expected items of one stream slice per pass: consecutive frames gathered together.
      p.frames_per_pass =
          std::max(1, static_cast<int>(std::lround(s.effective_batch / p.streams_per_replica)));
    }
    if (c.gpus > 1) p.modes.insert(Mode::ModelParallel);
    if (c.shared) p.modes.insert(Mode::MultiTask);
    if (load.is_streams() ? load.split > 1 : s.replicas > 1) p.modes.insert(Mode::DataParallel);
    if (p.frames_per_pass > 1) p.modes.insert(Mode::MultiFrame);
    const bool across_requests = !load.is_streams() || p.streams_per_replica > 1;
    if (s.batch > 1 && across_requests && p.frames_per_pass < s.batch)
      p.modes.insert(Mode::Batching);
    return p;
  }

  std::string reason(const Shortfall& s) const {
    const DeviceClass& cls = problem_.classes[index_of(problem_.pool.device_class)];
    const Slo& slo = problem_.service.slo;
    switch (s.status) {
      case AllocationStatus::MemoryExceeded:
        return fmt::format(
            "model needs {}; a replica of {} {} devices holds {} per device, "
            "more than their {}",
            problem_.service.model_memory, s.gpus, cls.name, s.plan.memory_per_gpu, cls.memory);
      case AllocationStatus::DeadlineTooTight:
        return fmt::format(
            "even one item alone takes {} worst case on {} (k={}), above the "
            "deadline {}",
            format_duration(s.plan.worst_latency), cls.name, s.plan.gpus_per_replica,
            format_duration(slo.deadline));
      case AllocationStatus::NotEnoughDevices:
        return fmt::format(
            "the load of {} needs more than the pool's {} {} devices: at most "
            "{} replicas of k={} carry {}",
            s.plan.demand, problem_.pool.total, cls.name, s.plan.replicas, s.plan.gpus_per_replica,
            s.plan.capacity);
      default:
        return fmt::format("profile '{}' gives no latency on {} for any replica size that fits",
                           problem_.profile.name, cls.name);
    }
  }

  const AllocationProblem& problem_;
  const CostModel& model_;
  std::optional<Plan> best_;
  std::optional<Shortfall> shortfall_;
  std::vector<std::pair<PlanCandidate, std::optional<ReplicaTiming>>> timings_;
};

}  // namespace epara
