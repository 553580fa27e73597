#pragma once
// How EPARA places and re-places every period, in the simulator's strategy and in epara-node
// alike: the headroom its plans carry, what a load must pay, and which loaded instances stay
// beside a new placement.

#include <algorithm>
#include <span>
#include <vector>

#include "epara/placement/ground_set.hpp"

namespace epara {

/// Plans carry 20% more than the demand they are made for: arrivals are bursty, and a stream or
/// a batch that lands on a replica running at its planned utilization waits. The extra is placed
/// after every service's demand (SchedulerOptions::headroom).
inline constexpr double planned_headroom = 1.2;

/// A re-placement's load must pay for itself: an instance loaded now is kept where a new one
/// would serve only a little more (SchedulerOptions::load_penalty, items/s per second of load).
inline constexpr double replacement_load_penalty = 0.05;

/// The instances of `loaded` on devices that no instance of `wanted` uses (`wanted`: anything
/// with `server` and `devices`): a state-aware re-placement keeps them loaded, as they cost
/// nothing and absorb the next burst.
template <class Instance>
std::vector<LoadedInstance> kept_idle(std::span<const LoadedInstance> loaded,
                                      std::span<const Instance> wanted) {
  std::vector<LoadedInstance> out;
  for (const LoadedInstance& li : loaded) {
    const bool taken = std::any_of(wanted.begin(), wanted.end(), [&](const Instance& w) {
      return w.server == li.server && std::any_of(w.devices.begin(), w.devices.end(), [&](auto d) {
               return std::find(li.devices.begin(), li.devices.end(), d) != li.devices.end();
             });
    });
    if (!taken) out.push_back(li);
  }
  return out;
}

}  // namespace epara
