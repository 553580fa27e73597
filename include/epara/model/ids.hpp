#pragma once
// Strong indices into a Scenario's tables. Names are for files and people; algorithms use ids.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace epara {

enum class DeviceClassId : std::uint32_t {};
enum class ServerId : std::uint32_t {};
enum class ProfileId : std::uint32_t {};
enum class ServiceId : std::uint32_t {};

/// The position an id stands for in its table.
template <class Id>
constexpr std::size_t index_of(Id id) noexcept {
  return static_cast<std::size_t>(id);
}

/// The id of the entry at `index` of its table.
template <class Id>
constexpr Id id_at(std::size_t index) noexcept {
  return static_cast<Id>(index);
}

/// The id of the first entry of `table` (a range of objects with a `name`) named `name`.
template <class Id, class Table>
std::optional<Id> find_by_name(const Table& table, std::string_view name) {
  const auto it = std::find_if(std::begin(table), std::end(table),
                               [&](const auto& entry) { return entry.name == name; });
  if (it == std::end(table)) return std::nullopt;
  return id_at<Id>(static_cast<std::size_t>(it - std::begin(table)));
}

}  // namespace epara
