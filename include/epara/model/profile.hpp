#pragma once
// A service's performance profile: latency by device class × GPUs per replica × batch.

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "epara/model/device.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/latency_curve.hpp"

namespace epara {

/// Latency curves of one model, measured per (device class, GPUs per replica). `gpus` > 1 means
/// a model-parallel replica over that many GPUs of the class; a CPU class uses gpus = 1.
struct Profile {
  struct Curve {
    DeviceClassId device_class{};
    int gpus = 1;
    LatencyCurve latency;
    friend bool operator==(const Curve&, const Curve&) = default;
  };

  std::string name{};
  std::string
      source{};  ///< where the numbers come from: a benchmark, a measurement, "illustrative"
  std::vector<Curve> curves{};

  /// The curve measured on exactly this class and replica size, if any.
  const Curve* find(DeviceClassId device_class, int gpus) const noexcept {
    for (const Curve& c : curves)
      if (c.device_class == device_class && c.gpus == gpus) return &c;
    return nullptr;
  }

  friend bool operator==(const Profile&, const Profile&) = default;
};

/// A predicted latency and where it came from.
struct LatencyEstimate {
  Duration latency{};
  DeviceClassId measured_on{};  ///< the class whose curve was used
  bool scaled = false;          ///< true when measured on another class and scaled by speed
};

/// Latency of a pass over `batch` items on a replica of `gpus` devices of class `target`.
/// Uses the curve measured on `target` when there is one; otherwise the curve of the same
/// kind (GPU or CPU) and replica size whose class speed is closest to the target's, scaled by
/// the speed ratio. nullopt when no such curve exists or `batch` exceeds the curve's max_batch.
inline std::optional<LatencyEstimate> estimate_latency(const Profile& profile,
                                                       std::span<const DeviceClass> classes,
                                                       DeviceClassId target, int gpus, int batch) {
  const auto usable = [&](const Profile::Curve& c) {
    return batch >= 1 && batch <= c.latency.max_batch();
  };
  if (const Profile::Curve* exact = profile.find(target, gpus)) {
    if (!usable(*exact)) return std::nullopt;
    return LatencyEstimate{exact->latency.latency(batch), target, false};
  }
  EPARA_EXPECTS(index_of(target) < classes.size(), "estimate_latency: unknown device class id");
  const DeviceClass& want = classes[index_of(target)];
  const Profile::Curve* nearest = nullptr;
  double nearest_gap = 0.0;
  for (const Profile::Curve& c : profile.curves) {
    const DeviceClass& have = classes[index_of(c.device_class)];
    if (c.gpus != gpus || have.kind != want.kind || !usable(c)) continue;
    const double gap = std::abs(std::log(have.relative_speed / want.relative_speed));
    if (nearest == nullptr || gap < nearest_gap) {
      nearest = &c;
      nearest_gap = gap;
    }
  }
  if (nearest == nullptr) return std::nullopt;
  const double speedup =
      classes[index_of(nearest->device_class)].relative_speed / want.relative_speed;
  const auto measured = static_cast<double>(nearest->latency.latency(batch).count());
  return LatencyEstimate{Duration{std::llround(measured * speedup)}, nearest->device_class, true};
}

}  // namespace epara
