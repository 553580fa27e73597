#pragma once
// Task categorization: latency- or frequency-sensitive × fits one GPU or needs several.
//
//                   fits one GPU   needs several GPUs
//   latency         LS-1           LS-N
//   frequency       FS-1           FS-N
//
// A service needs several GPUs when, on every GPU class of the cluster (every CPU class of a
// cluster without a GPU), one of these holds:
//   1. its model memory exceeds one GPU's memory;
//   2. it has no one-GPU profile there (measured or scaled from a class of the same kind);
//   3. its batch-1 latency exceeds its (per-item) deadline;
//   4. (frequency only) its peak one-GPU rate — the best b / latency(b) over batches whose pass
//      fits the item deadline — is below the stream's required rate.

#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/scenario.hpp"

namespace epara {

enum class Category {
  LatencyOneGpu,        ///< LS-1
  LatencySeveralGpus,   ///< LS-N
  FrequencyOneGpu,      ///< FS-1
  FrequencySeveralGpus  ///< FS-N
};

constexpr std::string_view code(Category c) noexcept {
  switch (c) {
    case Category::LatencyOneGpu:
      return "LS-1";
    case Category::LatencySeveralGpus:
      return "LS-N";
    case Category::FrequencyOneGpu:
      return "FS-1";
    case Category::FrequencySeveralGpus:
      return "FS-N";
  }
  return "?";
}
constexpr Sensitivity sensitivity_of(Category c) noexcept {
  return c == Category::LatencyOneGpu || c == Category::LatencySeveralGpus ? Sensitivity::Latency
                                                                           : Sensitivity::Frequency;
}
constexpr bool needs_several_gpus(Category c) noexcept {
  return c == Category::LatencySeveralGpus || c == Category::FrequencySeveralGpus;
}

/// Which rule decided the category.
enum class CategoryRule {
  FitsOneGpu,            ///< no rule fired on the reported class
  MemoryExceedsGpu,      ///< rule 1 fired on every class (reported: the largest GPU)
  NoOneGpuProfile,       ///< rule 2
  LatencyAboveDeadline,  ///< rule 3
  RateBelowRequired,     ///< rule 4
};

constexpr std::string_view to_string(CategoryRule r) noexcept {
  switch (r) {
    case CategoryRule::FitsOneGpu:
      return "fits-one-gpu";
    case CategoryRule::MemoryExceedsGpu:
      return "memory-exceeds-gpu";
    case CategoryRule::NoOneGpuProfile:
      return "no-one-gpu-profile";
    case CategoryRule::LatencyAboveDeadline:
      return "latency-above-deadline";
    case CategoryRule::RateBelowRequired:
      return "rate-below-required";
  }
  return "?";
}

/// The category with its explanation: the deciding rule, the GPU class it was judged on (the
/// best class that fits, or the class that came closest to fitting), and the numbers.
struct Categorization {
  Category category = Category::LatencyOneGpu;
  CategoryRule rule = CategoryRule::FitsOneGpu;
  DeviceClassId device_class{};
  std::string reason{};
};

namespace detail {
// One class's verdict. Verdicts are ranked by how far the class got through rules 1-4 (stage),
// then by merit within a stage, so the reported class is the one that came closest to fitting.
struct ClassVerdict {
  int stage = 0;  // 0 memory, 1 profile, 2 latency, 3 rate, 4 fits
  double merit = 0.0;
  CategoryRule rule = CategoryRule::FitsOneGpu;
  DeviceClassId device_class{};
  std::string reason{};
};

// `batch` items per `latency` reach `rate`, compared without dividing so boundaries are exact.
inline bool reaches_rate(int batch, Duration latency, Rate rate) noexcept {
  return static_cast<double>(batch) * 1e9 >= rate.per_second * static_cast<double>(latency.count());
}

inline std::string scaled_note(const Cluster& cluster, const LatencyEstimate& e) {
  if (!e.scaled) return {};
  return fmt::format(" (scaled from {})", cluster.device_class(e.measured_on).name);
}

inline ClassVerdict judge_class(const ServiceSpec& service, const Profile& profile,
                                const Cluster& cluster, DeviceClassId id) {
  const DeviceClass& gpu = cluster.device_class(id);
  const std::string_view unit = gpu.kind == DeviceKind::Gpu ? "GPU" : "CPU";
  const Slo& slo = service.slo;
  ClassVerdict v;
  v.device_class = id;
  if (service.model_memory > gpu.memory) {
    v.rule = CategoryRule::MemoryExceedsGpu;
    v.merit = static_cast<double>(gpu.memory.count);
    v.reason = fmt::format("model needs {}, more than one {} {} holds ({})", service.model_memory,
                           gpu.name, unit, gpu.memory);
    return v;
  }
  const auto one = estimate_latency(profile, cluster.device_classes, id, 1, 1);
  if (!one) {
    v.stage = 1;
    v.rule = CategoryRule::NoOneGpuProfile;
    v.reason = fmt::format("profile '{}' has no one-{} curve for {} nor a {} class to scale from",
                           profile.name, unit, gpu.name, unit);
    return v;
  }
  const std::string fits_memory =
      fmt::format("{} fits one {} {} ({})", service.model_memory, gpu.name, unit, gpu.memory);
  const std::string batch1 =
      fmt::format("batch-1 latency {} on {}{}", format_duration(one->latency), gpu.name,
                  scaled_note(cluster, *one));
  if (one->latency > slo.deadline) {
    v.stage = 2;
    v.rule = CategoryRule::LatencyAboveDeadline;
    v.merit = -static_cast<double>(one->latency.count());
    v.reason = fmt::format("{} exceeds the deadline {}", batch1, format_duration(slo.deadline));
    return v;
  }
  const std::string within =
      fmt::format("{}; {} <= deadline {}", fits_memory, batch1, format_duration(slo.deadline));
  if (slo.is_latency()) {
    v.stage = 4;
    v.merit = -static_cast<double>(one->latency.count());
    v.reason = within;
    return v;
  }
  // Peak one-GPU rate over batches whose single pass fits the item deadline.
  int best_batch = 1;
  Duration best_latency = one->latency;
  for (int b = 2;; ++b) {
    const auto e = estimate_latency(profile, cluster.device_classes, id, 1, b);
    if (!e || e->latency > slo.deadline) break;
    if (static_cast<double>(b) * static_cast<double>(best_latency.count()) >
        static_cast<double>(best_batch) * static_cast<double>(e->latency.count())) {
      best_batch = b;
      best_latency = e->latency;
    }
  }
  const Rate peak = Rate::of(best_batch, best_latency);
  const std::string peak_text =
      fmt::format("peak one-{} rate {} on {} (batch {} per {})", unit, peak, gpu.name, best_batch,
                  format_duration(best_latency));
  v.merit = peak.per_second;
  if (!reaches_rate(best_batch, best_latency, slo.rate)) {
    v.stage = 3;
    v.rule = CategoryRule::RateBelowRequired;
    v.reason = fmt::format("{} is below the required {}", peak_text, slo.rate);
    return v;
  }
  v.stage = 4;
  v.reason = fmt::format("{}; {} >= required {}", within, peak_text, slo.rate);
  return v;
}
}  // namespace detail

/// Categorizes `service` on the cluster's serving classes: its GPU classes, or its CPU classes
/// when it has no GPU (a CPU then stands for "one GPU"). Throws InvalidArgument when the
/// cluster has no device at all (there is nothing to categorize against).
inline Categorization categorize(const ServiceSpec& service, const Profile& profile,
                                 const Cluster& cluster) {
  const auto classes = cluster.serving_classes();
  EPARA_EXPECTS(!classes.empty(),
                fmt::format("categorize '{}': the cluster has no GPU and no CPU", service.name));
  std::optional<detail::ClassVerdict> best{};
  for (DeviceClassId id : classes) {
    auto v = detail::judge_class(service, profile, cluster, id);
    if (!best || v.stage > best->stage || (v.stage == best->stage && v.merit > best->merit))
      best = std::move(v);
  }
  const bool latency = service.slo.is_latency();
  const bool one_gpu = best->stage == 4;
  const Category category =
      latency ? (one_gpu ? Category::LatencyOneGpu : Category::LatencySeveralGpus)
              : (one_gpu ? Category::FrequencyOneGpu : Category::FrequencySeveralGpus);
  return {category, best->rule, best->device_class, std::move(best->reason)};
}

/// Categorizes the scenario's service `id`.
inline Categorization categorize(const Scenario& scenario, ServiceId id) {
  const ServiceSpec& service = scenario.service(id);
  return categorize(service, scenario.profile_of(service), scenario.cluster);
}

}  // namespace epara

template <>
struct fmt::formatter<epara::Category> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(epara::Category c, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(epara::code(c), ctx);
  }
};

/// "LS-N (memory-exceeds-gpu): model needs 140 GiB, more than one a100-40g GPU holds (40 GiB)".
template <>
struct fmt::formatter<epara::Categorization> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const epara::Categorization& c, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(
        fmt::format("{} ({}): {}", epara::code(c.category), epara::to_string(c.rule), c.reason),
        ctx);
  }
};
