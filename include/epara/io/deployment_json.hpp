#pragma once
// The `deployment` section of a scenario: which servers run an epara-node at which address (in
// ring order), the reference model each service runs, and the node's periods and limits
// (docs/deployment.md). Part of epara::io.

#include <string_view>

#include "epara/deployment.hpp"
#include "epara/model/scenario.hpp"

namespace epara::io {

/// Throws InvalidArgument naming source and JSON path: a missing section, unknown names, a
/// node listed twice, a model whose sizes do not chain, an out-of-range period or limit.
Deployment parse_deployment(std::string_view json_text, std::string_view source,
                            const Scenario& scenario);

}  // namespace epara::io
