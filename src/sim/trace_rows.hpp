#pragma once
#include "epara/sim/trace.hpp"
namespace epara::sim::detail {
using epara::sim::TraceRow;
}  // namespace epara::sim::detail
