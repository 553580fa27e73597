#pragma once
// Device classes: the kinds of processor a cluster is built from.

#include <string>
#include <string_view>

#include "epara/units.hpp"

namespace epara {

enum class DeviceKind { Gpu, Cpu };

constexpr std::string_view to_string(DeviceKind k) noexcept {
  return k == DeviceKind::Gpu ? "gpu" : "cpu";
}

/// One kind of processor, e.g. "a100-40g" or "rpi5-cpu". `relative_speed` orders classes and
/// scales a profile measured on one class to another class of the same kind where no
/// measurement exists (latency × measured speed / target speed).
struct DeviceClass {
  std::string name{};
  DeviceKind kind = DeviceKind::Gpu;
  Bytes memory{};               ///< usable memory of one device (VRAM, or RAM for a CPU)
  double relative_speed = 1.0;  ///< > 0; only ratios between classes of one kind matter

  friend bool operator==(const DeviceClass&, const DeviceClass&) = default;
};

}  // namespace epara
