#pragma once
// The five parallel modes and sets of them (a plan may combine several).

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace epara {

enum class Mode : std::uint8_t {
  Batching = 1,       ///< several requests (or streams' items) in one pass
  MultiTask = 2,      ///< the replica shares its GPU with other services
  ModelParallel = 4,  ///< one replica spans k GPUs (pipeline stages or tensor shards)
  MultiFrame = 8,     ///< several consecutive items of one stream in one pass
  DataParallel = 16,  ///< a service's requests, or a stream's items, spread over replicas
};

constexpr std::string_view to_string(Mode m) noexcept {
  switch (m) {
    case Mode::Batching:
      return "batching";
    case Mode::MultiTask:
      return "multi-task";
    case Mode::ModelParallel:
      return "model-parallel";
    case Mode::MultiFrame:
      return "multi-frame";
    case Mode::DataParallel:
      return "data-parallel";
  }
  return "?";
}

/// Every mode, in the order sets of them are written.
inline constexpr std::array<Mode, 5> all_modes{Mode::ModelParallel, Mode::DataParallel,
                                               Mode::Batching, Mode::MultiFrame, Mode::MultiTask};

/// A set of modes, e.g. {ModelParallel, Batching}.
class ModeSet {
 public:
  constexpr ModeSet() = default;
  constexpr ModeSet(std::initializer_list<Mode> modes) {
    for (Mode m : modes) insert(m);
  }
  constexpr void insert(Mode m) noexcept { bits_ |= static_cast<std::uint8_t>(m); }
  constexpr bool contains(Mode m) const noexcept {
    return (bits_ & static_cast<std::uint8_t>(m)) != 0;
  }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr bool operator==(ModeSet, ModeSet) = default;

  /// "model-parallel+batching"; "single" for the empty set (one pass per item, one GPU).
  std::string to_string() const {
    std::string s;
    for (Mode m : all_modes) {
      if (!contains(m)) continue;
      if (!s.empty()) s += '+';
      s += epara::to_string(m);
    }
    return s.empty() ? "single" : s;
  }

 private:
  std::uint8_t bits_ = 0;
};

}  // namespace epara

template <>
struct fmt::formatter<epara::ModeSet> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(epara::ModeSet m, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(m.to_string(), ctx);
  }
};
