#pragma once
// Reading demand entries, shared by scenario files and separate demand files.

#include <string_view>

#include <fmt/format.h>

#include "epara/model/demand.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/limits.hpp"
#include "io/json_reader.hpp"

namespace epara::io::detail {

inline constexpr int max_streams = 1'000'000;

/// The id of the entry of `table` named by `node`'s string; fails naming `what` otherwise.
template <class Id, class Table>
Id resolve_name(const JsonNode& node, const Table& table, std::string_view what) {
  const std::string name = node.name();
  const auto id = find_by_name<Id>(table, name);
  if (!id) node.fail(fmt::format("unknown {} '{}'", what, name));
  return *id;
}

/// {"service": name, "origin": server, "rate_per_s": x | "streams": n}. `resolve_service` and
/// `resolve_server` map a name node to an id (failing on unknown names).
template <class ResolveService, class ResolveServer>
Demand read_demand(const JsonNode& n, ResolveService&& resolve_service,
                   ResolveServer&& resolve_server) {
  n.expect_object({"service", "origin", "rate_per_s", "streams"});
  Demand d;
  d.service = resolve_service(n.at("service"));
  d.origin = resolve_server(n.at("origin"));
  const auto rate = n.find("rate_per_s");
  const auto streams = n.find("streams");
  if (rate.has_value() == streams.has_value()) n.fail("give exactly one of rate_per_s, streams");
  if (rate) d.rate = Rate{rate->number_in(limits::min_rate_per_s, limits::max_rate_per_s)};
  if (streams) d.streams = streams->positive_int(max_streams);
  return d;
}

}  // namespace epara::io::detail
