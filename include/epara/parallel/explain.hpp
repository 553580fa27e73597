#pragma once
// Human-readable derivation of a plan: what it runs, and the numbers that make it meet its SLO.

#include <span>
#include <string>

#include <fmt/format.h>

#include "epara/model/device.hpp"
#include "epara/model/slo.hpp"
#include "epara/parallel/plan.hpp"

namespace epara {

/// E.g. "batching+data-parallel on a100-40g: 3 replicas, up to 8 items per pass, timeout
/// 120 ms; worst max(120 ms gather, 3.7 s in progress) + 3.7 s own pass = 7.4 s <= deadline 8 s;
/// busiest replica 81% busy; sized for 1/s (capacity 1.12/s); 3 devices".
inline std::string explain(const Plan& p, const Slo& slo, std::span<const DeviceClass> classes) {
  const DeviceClass& cls = classes[index_of(p.device_class)];
  std::string text = fmt::format("{} on {}: {} replica{}", p.modes, cls.name, p.replicas,
                                 p.replicas == 1 ? "" : "s");
  if (p.gpus_per_replica > 1) {
    text += fmt::format(" of {} devices", p.gpus_per_replica);
    if (p.pipelined)
      text += fmt::format(" (pipeline stages, {} per stage transfer)",
                          format_duration(p.stage_transfer));
  }
  if (p.gpu_share < 1.0) text += fmt::format(" on {:.0f}% of one device", p.gpu_share * 100);
  if (!slo.is_latency()) {
    text += fmt::format(", {} stream slice{} on the busiest", p.streams_per_replica,
                        p.streams_per_replica == 1 ? "" : "s");
    if (p.split > 1) text += fmt::format(" (each stream split over {} replicas)", p.split);
    text += fmt::format(", {} frame{} per stream per pass", p.frames_per_pass,
                        p.frames_per_pass == 1 ? "" : "s");
  }
  text += fmt::format(", up to {} item{} per pass, timeout {}", p.max_batch,
                      p.max_batch == 1 ? "" : "s", format_duration(p.batch_timeout));
  const Duration reserve =
      p.worst_latency - batched_worst_latency(p.batch_timeout, p.pass_interval, p.pass_latency);
  text += fmt::format("; worst max({} gather, {} in progress) + {} own pass",
                      format_duration(p.batch_timeout), format_duration(p.pass_interval),
                      format_duration(p.pass_latency));
  if (reserve > Duration::zero())
    text += fmt::format(" + {} kept for co-located passes", format_duration(reserve));
  text += fmt::format(" = {} {} deadline {}", format_duration(p.worst_latency),
                      p.worst_latency <= slo.deadline ? "<=" : ">", format_duration(slo.deadline));
  text += fmt::format(
      "; busiest replica {:.0f}% busy at {:.1f} items per pass; sized for {} "
      "(capacity {}); {:.3g} device{}",
      p.utilization * 100, p.effective_batch, p.demand, p.capacity, p.devices(),
      p.devices() == 1.0 ? "" : "s");
  return text;
}

}  // namespace epara
