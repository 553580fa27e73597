#pragma once
// The hardware of an edge cloud: device classes, servers, and the network joining them.

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/device.hpp"
#include "epara/model/ids.hpp"
#include "epara/model/network.hpp"
#include "epara/model/server.hpp"

namespace epara {

/// Owns the hardware description. Servers refer to device classes by id; the network's
/// server ids index `servers`.
struct Cluster {
  std::vector<DeviceClass> device_classes{};
  std::vector<ServerSpec> servers{};
  Network network{};

  const DeviceClass& device_class(DeviceClassId id) const {
    EPARA_EXPECTS(index_of(id) < device_classes.size(),
                  fmt::format("Cluster: device class id {} out of range", index_of(id)));
    return device_classes[index_of(id)];
  }
  const ServerSpec& server(ServerId id) const {
    EPARA_EXPECTS(index_of(id) < servers.size(),
                  fmt::format("Cluster: server id {} out of range", index_of(id)));
    return servers[index_of(id)];
  }

  std::optional<DeviceClassId> find_device_class(std::string_view name) const {
    return find_by_name<DeviceClassId>(device_classes, name);
  }
  std::optional<ServerId> find_server(std::string_view name) const {
    return find_by_name<ServerId>(servers, name);
  }

  /// GPU classes installed on at least one server, in id order.
  std::vector<DeviceClassId> gpu_classes_present() const {
    return classes_present(DeviceKind::Gpu);
  }

  std::size_t gpu_count() const noexcept {
    std::size_t n = 0;
    for (const ServerSpec& s : servers) n += s.gpus.size();
    return n;
  }

  std::size_t cpu_count() const noexcept {
    return static_cast<std::size_t>(std::count_if(
        servers.begin(), servers.end(), [](const ServerSpec& s) { return s.cpu.has_value(); }));
  }

  /// The classes a service is judged against and baselines place on: the GPU classes installed,
  /// or, on a cluster without a GPU, its CPU classes (a CPU-only cluster serves from its CPUs).
  std::vector<DeviceClassId> serving_classes() const {
    return classes_present(gpu_count() > 0 ? DeviceKind::Gpu : DeviceKind::Cpu);
  }
  /// How many devices of the serving classes the cluster has: its GPUs, or its CPUs without one.
  std::size_t serving_device_count() const noexcept {
    return gpu_count() > 0 ? gpu_count() : cpu_count();
  }

  friend bool operator==(const Cluster&, const Cluster&) = default;

 private:
  // Classes of `kind` installed on at least one server (as a GPU or as the CPU), in id order.
  std::vector<DeviceClassId> classes_present(DeviceKind kind) const {
    std::vector<bool> present(device_classes.size(), false);
    for (const ServerSpec& s : servers) {
      if (kind == DeviceKind::Gpu)
        for (DeviceClassId g : s.gpus) present[index_of(g)] = true;
      else if (s.cpu)
        present[index_of(*s.cpu)] = true;
    }
    std::vector<DeviceClassId> result;
    for (std::size_t i = 0; i < present.size(); ++i)
      if (present[i]) result.push_back(id_at<DeviceClassId>(i));
    return result;
  }
};

}  // namespace epara
