#pragma once
// What one served item is worth to the placement objective.

#include <array>
#include <optional>
#include <string_view>

namespace epara {

enum class Weighting {
  Items,        ///< every item alike: the most served demand (the design's objective)
  DemandShare,  ///< every service's whole demand alike: the most summed attainment, so a
                ///< low-rate service (a large LLM) is not crowded out by high-rate ones
};

constexpr std::string_view to_string(Weighting w) noexcept {
  return w == Weighting::Items ? "items" : "demand-share";
}

inline constexpr std::array weightings{Weighting::Items, Weighting::DemandShare};

/// The weighting named `name` (its to_string), or nullopt.
constexpr std::optional<Weighting> parse_weighting(std::string_view name) noexcept {
  for (Weighting w : weightings)
    if (to_string(w) == name) return w;
  return std::nullopt;
}

}  // namespace epara
