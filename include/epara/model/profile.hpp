#pragma once
// A service's performance profile: latency by device class × GPUs per replica × batch.

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "epara/error.hpp"
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

  /// How a profile measured on a machine was taken (epara-profile writes it), so that a reader
  /// can tell which machine and software its numbers describe.
  struct Measurement {
    std::string machine;    ///< the device measured, e.g. "AMD EPYC (2 cores)" or a GPU's name
    std::string libraries;  ///< the kernels' libraries and the compiler, with versions
    std::string date;       ///< UTC, YYYY-MM-DD
    int repeats = 1;        ///< timed passes per point; the point is their median
    friend bool operator==(const Measurement&, const Measurement&) = default;
  };

  std::string name{};
  std::string
      source{};  ///< where the numbers come from: a benchmark, a measurement, "illustrative"
  std::vector<Curve> curves{};
  std::optional<Measurement> measured{};  ///< set when measured on a machine by epara-profile

  /// The curve measured on exactly this class and replica size, if any.
  const Curve* find(DeviceClassId device_class, int gpus) const noexcept {
    for (const Curve& c : curves)
      if (c.device_class == device_class && c.gpus == gpus) return &c;
    return nullptr;
  }

  friend bool operator==(const Profile&, const Profile&) = default;
};

/// The curve that predicts a (class, replica size): the class's own, or the curve of the same
/// device kind whose class speed is closest, with the factor that scales it to the target.
struct CurveChoice {
  const LatencyCurve* curve = nullptr;
  DeviceClassId measured_on{};
  double factor = 1.0;  ///< measured speed / target speed; 1 when measured on the target
  Duration latency(int batch) const {
    const auto measured = static_cast<double>(curve->latency(batch).count());
    return Duration{std::llround(measured * factor)};
  }
};

/// Chooses the curve for `gpus` devices of class `target`: the one measured on `target` if any;
/// otherwise the curve of the same kind (GPU or CPU) and replica size whose class speed is
/// nearest the target's (by ratio), scaled by the speed ratio. nullopt when there is none.
inline std::optional<CurveChoice> choose_curve(const Profile& profile,
                                               std::span<const DeviceClass> classes,
                                               DeviceClassId target, int gpus) {
  EPARA_EXPECTS(index_of(target) < classes.size(), "choose_curve: unknown device class id");
  if (const Profile::Curve* exact = profile.find(target, gpus))
    return CurveChoice{&exact->latency, target, 1.0};
  const DeviceClass& want = classes[index_of(target)];
  const Profile::Curve* nearest = nullptr;
  double nearest_gap = 0.0;
  for (const Profile::Curve& c : profile.curves) {
    const DeviceClass& have = classes[index_of(c.device_class)];
    if (c.gpus != gpus || have.kind != want.kind) continue;
    const double gap = std::abs(std::log(have.relative_speed / want.relative_speed));
    if (nearest == nullptr || gap < nearest_gap) {
      nearest = &c;
      nearest_gap = gap;
    }
  }
  if (nearest == nullptr) return std::nullopt;
  const double factor =
      classes[index_of(nearest->device_class)].relative_speed / want.relative_speed;
  return CurveChoice{&nearest->latency, nearest->device_class, factor};
}

/// A predicted latency and where it came from.
struct LatencyEstimate {
  Duration latency{};
  DeviceClassId measured_on{};  ///< the class whose curve was used
  bool scaled = false;          ///< true when measured on another class and scaled by speed
};

/// Latency of a pass over `batch` items on a replica of `gpus` devices of class `target`, from
/// choose_curve(); nullopt when there is no curve or `batch` exceeds its max_batch.
inline std::optional<LatencyEstimate> estimate_latency(const Profile& profile,
                                                       std::span<const DeviceClass> classes,
                                                       DeviceClassId target, int gpus, int batch) {
  const auto choice = choose_curve(profile, classes, target, gpus);
  if (!choice || batch < 1 || batch > choice->curve->max_batch()) return std::nullopt;
  return LatencyEstimate{choice->latency(batch), choice->measured_on,
                         choice->measured_on != target};
}

}  // namespace epara
