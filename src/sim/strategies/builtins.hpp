#pragma once
// The strategies that ship with the simulator (one file each).

#include <memory>

#include "epara/sim/strategy.hpp"

namespace epara::sim::detail {

std::unique_ptr<Strategy> make_epara();
std::unique_ptr<Strategy> make_uncategorized();
std::unique_ptr<Strategy> make_nexus();
std::unique_ptr<Strategy> make_alpaserve();
std::unique_ptr<Strategy> make_offload();

}  // namespace epara::sim::detail
