#pragma once
// What one served item is worth to the placement objective.

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

/// The weighting named `name` ("items", "demand-share"), or nullopt.
constexpr std::optional<Weighting> parse_weighting(std::string_view name) noexcept {
  if (name == "items") return Weighting::Items;
  if (name == "demand-share") return Weighting::DemandShare;
  return std::nullopt;
}

}  // namespace epara
