#pragma once
// What turns the instances loaded now into a new placement's: which stay, which unload, which
// load. epara-node applies a placement with it and the simulator does the same, so both keep
// exactly the instances a real cluster would not have to touch.

#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

#include "epara/placement/ground_set.hpp"

namespace epara {

/// Anything that names an instance where it runs: a service's replica on devices of a server
/// (LoadedInstance, sim::InstanceSpec, the scheduler's PlacedInstance).
template <class T>
concept InstanceOnDevices = requires(const T& i) {
  { i.service } -> std::convertible_to<ServiceId>;
  { i.server } -> std::convertible_to<ServerId>;
  { i.devices } -> std::convertible_to<std::vector<DeviceSlot>>;
};

/// Indices into the two lists diffed. `keep` and `unload` partition `loaded`; `keep` (matched
/// one to one with `kept_as`) and `load` partition `wanted`.
struct PlacementDiff {
  std::vector<std::size_t> keep;     ///< loaded instances the placement keeps as they are
  std::vector<std::size_t> kept_as;  ///< for keep[i], the wanted instance it is
  std::vector<std::size_t> unload;   ///< loaded instances the placement drops
  std::vector<std::size_t> load;     ///< wanted instances not loaded yet
};

/// The diff from `loaded` to `wanted`. An instance stays only with the same service, server and
/// devices in the same order (its weights, and its stages, live on those devices: a replica
/// moved to other devices of its server is an unload and a load). Each wanted instance, in
/// order, keeps the first loaded one not kept yet that is the same, so two replicas on the same
/// devices match two loaded ones.
template <InstanceOnDevices Loaded, InstanceOnDevices Wanted>
PlacementDiff placement_diff(std::span<const Loaded> loaded, std::span<const Wanted> wanted) {
  PlacementDiff diff;
  std::vector<bool> kept(loaded.size(), false);
  for (std::size_t w = 0; w < wanted.size(); ++w) {
    bool found = false;
    for (std::size_t l = 0; l < loaded.size() && !found; ++l) {
      if (kept[l] || loaded[l].service != wanted[w].service ||
          loaded[l].server != wanted[w].server || loaded[l].devices != wanted[w].devices)
        continue;
      kept[l] = found = true;
      diff.keep.push_back(l);
      diff.kept_as.push_back(w);
    }
    if (!found) diff.load.push_back(w);
  }
  for (std::size_t l = 0; l < loaded.size(); ++l)
    if (!kept[l]) diff.unload.push_back(l);
  return diff;
}

}  // namespace epara
