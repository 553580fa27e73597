#pragma once
// A name a client sent, quoted for a status message: whole when short, else its start and its
// length, so that the message stays far below gRPC's 8 KiB limit on trailing metadata (a
// longer one reaches the client as RESOURCE_EXHAUSTED instead of the error it explains).

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace epara::node {

inline std::string quoted_name(std::string_view name) {
  constexpr std::size_t shown = 64;
  if (name.size() <= shown) return fmt::format("'{}'", name);
  return fmt::format("'{}...' ({} bytes)", name.substr(0, shown), name.size());
}

}  // namespace epara::node
