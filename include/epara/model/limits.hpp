#pragma once
// The ranges of the numbers a scenario, a simulation section and the programs' options accept.
// Each is far wider than any edge cloud needs and narrow enough that every sum and product the
// library forms of them (a deadline plus a transfer, a rate times a load factor times a run's
// duration) stays exact in 64-bit nanoseconds and bytes: values outside are errors that name
// the field, never a silent wrap-around (docs/scenario-format.md, "Ranges").

#include <cstddef>

namespace epara::limits {

/// Any time: a latency, a deadline, a period, a run's duration, when a fault fires. 10⁶ s is
/// 11.6 days; int64 nanoseconds hold 292 years, so sums of many such times cannot overflow.
inline constexpr double max_seconds = 1e6;

/// The shortest sync period (1 µs) and placement period (1 ms) a file may give: every period
/// costs a message per server or a placement, so a period of a nanosecond is a typo.
inline constexpr double min_sync_period_s = 1e-6;
inline constexpr double min_placement_period_s = 1e-3;

/// Device memory and model size, in GiB: up to 1 PiB.
inline constexpr double max_memory_gib = 1024.0 * 1024.0;
/// One request's payload (input, activations), in KiB: up to 16 GiB, so that its transfer over
/// the slowest link below stays under a day.
inline constexpr double max_payload_kib = 16.0 * 1024.0 * 1024.0;

/// Link bandwidth in Gbit/s: from 1 Mbit/s to 1 Pbit/s.
inline constexpr double min_bandwidth_gbps = 1e-3;
inline constexpr double max_bandwidth_gbps = 1e6;

/// A device class's speed relative to the profiled one.
inline constexpr double min_relative_speed = 1e-3;
inline constexpr double max_relative_speed = 1e3;

/// Requests per second of one demand entry: from one in 11.6 days to ten million.
inline constexpr double min_rate_per_s = 1.0 / max_seconds;
inline constexpr double max_rate_per_s = 1e7;
/// Items per second of one stream (a frequency SLO's rate).
inline constexpr double max_stream_rate_per_s = 1e4;

/// Factors on the declared demand (--load, load_scale, a trace's speedup) and the load
/// profile's steps (which may also be 0).
inline constexpr double min_load_factor = 1e-3;
inline constexpr double max_load_factor = 1e3;

/// Coefficient of variation of Gamma inter-arrival times (1: Poisson).
inline constexpr double min_burstiness = 1e-2;
inline constexpr double max_burstiness = 1e2;

/// The hardware's slowdown of a pass on a shared device.
inline constexpr double max_interference = 100.0;
/// A simulated device's speed against its profile (simulation.pass_time_scale): a tenth to ten
/// times the profiled pass.
inline constexpr double min_pass_time_scale = 0.1;
inline constexpr double max_pass_time_scale = 10.0;
/// The most batch sizes simulation.pass_time_scale_by_batch may list.
inline constexpr std::size_t max_scaled_batches = 4096;
/// How much passes vary (simulation.pass_time_cv): at most as much as their mean.
inline constexpr double max_pass_time_cv = 1.0;

/// Factor on every edge server's GPU count (epara-sim --scale, the GPUs-needed search).
inline constexpr double max_cluster_scale = 100.0;

/// Items one simulation run may offer unless told otherwise (SimulationConfig::max_items): at
/// the simulator's ~10⁶ items a second (docs/results.md, "Simulator speed") a few minutes of
/// one core per strategy, so that a typo in a rate cannot keep a run busy for days.
inline constexpr double default_max_items = 2e8;

}  // namespace epara::limits
