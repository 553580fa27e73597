#pragma once
// The hardware of an edge cloud: device classes, servers, and the network joining them.

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
    std::vector<bool> present(device_classes.size(), false);
    for (const ServerSpec& s : servers)
      for (DeviceClassId g : s.gpus) present[index_of(g)] = true;
    std::vector<DeviceClassId> result;
    for (std::size_t i = 0; i < present.size(); ++i)
      if (present[i]) result.push_back(id_at<DeviceClassId>(i));
    return result;
  }

  std::size_t gpu_count() const noexcept {
    std::size_t n = 0;
    for (const ServerSpec& s : servers) n += s.gpus.size();
    return n;
  }

  friend bool operator==(const Cluster&, const Cluster&) = default;
};

}  // namespace epara
