#pragma once
// The constants of the allocator's cost model. Defaults are round numbers from public
// measurements of GPU serving, to be replaced by figures measured on the target (epara-profile).

#include "epara/units.hpp"

namespace epara {

struct CostModel {
  /// Highest fraction of a GPU's time a plan may keep busy; the rest absorbs bursts.
  double max_utilization = 0.9;
  /// Latency multiplier of a pass on a GPU shared with other services (co-located kernels
  /// contend for SMs and memory bandwidth; reported slowdowns are typically 10-30%).
  double interference = 1.2;
  /// Part of the deadline a multi-task plan keeps free for passes of the services it shares its
  /// device with (the multi-task packer checks that their passes fit in it).
  double co_location_reserve = 0.25;
  /// Largest share of a device a multi-task plan may take; a service needing more gets whole
  /// devices (sharing would cost it the interference and the reserve for little saving).
  double max_share = 0.8;
  /// Throughput of d data-parallel replicas = d × this × one replica's (dispatch, reordering).
  double data_parallel_efficiency = 0.95;
  /// Per-stage transfer of a pipeline derived from a one-GPU profile: a fixed hop latency plus
  /// the activations of the batch over the GPU-to-GPU link (PCIe 4.0 x16 by default).
  Duration stage_hop_latency = std::chrono::microseconds(20);
  Bandwidth stage_bandwidth{25e9};
  /// How evenly a derived pipeline's stages split the work: the slowest of k stages takes
  /// L1 / (k × this). Layers rarely split into exactly equal parts.
  double pipeline_balance = 0.9;
};

}  // namespace epara
