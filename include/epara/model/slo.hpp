#pragma once
// Service-level objectives: the first axis of categorization (latency- or frequency-sensitive).

#include <string_view>

#include <fmt/format.h>

#include "epara/units.hpp"

namespace epara {

/// What a task is sensitive to.
enum class Sensitivity {
  Latency,    ///< one answer before a deadline (single image, chat reply)
  Frequency,  ///< a stream of items at a steady rate, each before a per-item deadline
};

constexpr std::string_view to_string(Sensitivity s) noexcept {
  return s == Sensitivity::Latency ? "latency" : "frequency";
}

/// A latency SLO (`deadline` per request) or a frequency SLO (`rate` items per second per stream,
/// each item within `deadline` of its arrival). Build with Slo::latency / Slo::frequency.
struct Slo {
  Sensitivity sensitivity = Sensitivity::Latency;
  Duration deadline{};  ///< per request, or per item of a stream
  Rate rate{};          ///< required items per second of one stream; zero for latency SLOs

  static constexpr Slo latency(Duration deadline) noexcept {
    return {Sensitivity::Latency, deadline, Rate{}};
  }
  static constexpr Slo frequency(Rate rate, Duration item_deadline) noexcept {
    return {Sensitivity::Frequency, item_deadline, rate};
  }
  constexpr bool is_latency() const noexcept { return sensitivity == Sensitivity::Latency; }

  friend constexpr bool operator==(const Slo&, const Slo&) = default;
};

}  // namespace epara

/// "deadline 200 ms" or "30/s, item deadline 100 ms".
template <>
struct fmt::formatter<epara::Slo> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const epara::Slo& slo, Context& ctx) const {
    const std::string text =
        slo.is_latency()
            ? fmt::format("deadline {}", epara::format_duration(slo.deadline))
            : fmt::format("{}, item deadline {}", slo.rate, epara::format_duration(slo.deadline));
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};
