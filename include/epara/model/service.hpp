#pragma once
// A service: one model served under one SLO.

#include <string>

#include "epara/model/ids.hpp"
#include "epara/model/slo.hpp"
#include "epara/units.hpp"

namespace epara {

struct ServiceSpec {
  std::string name{};
  Slo slo{};
  Bytes model_memory{};  ///< weights and runtime state of one replica, over all its GPUs
  ProfileId profile{};
  Bytes input_size{};  ///< payload of one request or stream item, moved when offloading
  /// Activations of one item passed between pipeline stages when the model is split over GPUs
  /// and no measured multi-GPU curve exists; 0 when unknown (then only the hop latency counts).
  Bytes activation_size{};
  /// Time to load one replica's model onto its devices; 0 when unknown (the scheduler then
  /// estimates it from model_memory, see SchedulerOptions::load_bandwidth).
  Duration load_time{};

  friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};

}  // namespace epara
