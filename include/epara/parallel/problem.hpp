#pragma once
// What the allocator is asked: one service, the GPUs it may use, and its load.

#include <span>
#include <vector>

#include "epara/categorize.hpp"
#include "epara/model/demand.hpp"
#include "epara/model/scenario.hpp"

namespace epara {

/// The devices of one class a service may use: at most `max_per_replica` of them together (the
/// most on one server), and `total` in all.
struct GpuPool {
  DeviceClassId device_class{};
  int max_per_replica = 1;
  int total = 1;
  friend bool operator==(const GpuPool&, const GpuPool&) = default;
};

/// One pool per device class installed in `cluster` (GPU and CPU classes), in class-id order.
inline std::vector<GpuPool> device_pools(const Cluster& cluster) {
  std::vector<GpuPool> pools{};
  for (std::size_t c = 0; c < cluster.device_classes.size(); ++c) {
    const auto id = id_at<DeviceClassId>(c);
    GpuPool pool{id, 0, 0};
    for (const ServerSpec& s : cluster.servers) {
      int here = 0;
      for (DeviceClassId g : s.gpus) here += g == id ? 1 : 0;
      if (s.cpu == id) ++here;
      pool.max_per_replica = std::max(pool.max_per_replica, here);
      pool.total += here;
    }
    if (pool.total > 0) pools.push_back(pool);
  }
  return pools;
}

/// The allocator's input. References must outlive the call.
struct AllocationProblem {
  const ServiceSpec& service;
  const Profile& profile;
  Category category;
  std::span<const DeviceClass> classes;  ///< the device-class table GpuPool ids index
  GpuPool pool;
  Load load;
};

}  // namespace epara
