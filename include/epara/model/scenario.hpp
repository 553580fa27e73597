#pragma once
// A scenario: the cluster, the profiles and the services that run on it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "epara/error.hpp"
#include "epara/model/cluster.hpp"
#include "epara/model/demand.hpp"
#include "epara/model/profile.hpp"
#include "epara/model/service.hpp"

namespace epara {

struct Scenario {
  std::string description{};  ///< free text: what the scenario models
  Cluster cluster{};
  std::vector<Profile> profiles{};
  std::vector<ServiceSpec> services{};
  std::vector<Demand> demand{};  ///< expected load per (service, origin); may be empty

  const ServiceSpec& service(ServiceId id) const {
    EPARA_EXPECTS(index_of(id) < services.size(),
                  fmt::format("Scenario: service id {} out of range", index_of(id)));
    return services[index_of(id)];
  }
  const Profile& profile(ProfileId id) const {
    EPARA_EXPECTS(index_of(id) < profiles.size(),
                  fmt::format("Scenario: profile id {} out of range", index_of(id)));
    return profiles[index_of(id)];
  }
  const Profile& profile_of(const ServiceSpec& s) const { return profile(s.profile); }

  std::optional<ServiceId> find_service(std::string_view name) const {
    return find_by_name<ServiceId>(services, name);
  }
  std::optional<ProfileId> find_profile(std::string_view name) const {
    return find_by_name<ProfileId>(profiles, name);
  }

  friend bool operator==(const Scenario&, const Scenario&) = default;
};

}  // namespace epara
