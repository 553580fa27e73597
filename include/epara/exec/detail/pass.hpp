#pragma once
// The steps every executor shares: admit an item, drop what cannot count, pack a pass's inputs,
// hand out its outputs. Not part of the public API.

#include <algorithm>
#include <exception>
#include <future>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "epara/exec/batch_queue.hpp"
#include "epara/exec/completion.hpp"

namespace epara::exec::detail {

/// Numbers the item and queues it, or completes it at once as rejected (bad input, full,
/// shut down). Either way the returned future will be fulfilled.
inline std::future<Result> admit(Completion& done, BatchQueue& queue, const BatchPolicy& policy,
                                 std::size_t input_size, Item item, Callback callback) {
  Pending p{std::move(item), now(), {}, 0, 0, {}, std::move(callback)};
  done.enter(p);
  std::future<Result> future = p.promise.get_future();
  if (p.item.input.size() != input_size) {
    const std::string why =
        fmt::format("input has {} floats; the model takes {}", p.item.input.size(), input_size);
    done.finish_rejected(std::move(p), RejectReason::BadInput, why);
  } else if (auto refused = queue.push(std::move(p), policy.capacity)) {
    done.finish_rejected(std::move(refused->first), refused->second,
                         refused->second == RejectReason::QueueFull
                             ? fmt::format("{} items queued", policy.capacity)
                             : std::string("the executor is shut down"));
  }
  return future;
}

/// With drop_expired, leaves out of a pass starting now the items that cannot count: those past
/// their deadline, then — earliest deadline first, the pass getting shorter with each — those
/// the pass would finish late by the executor's measured pass times. The simulator leaves out
/// the same items (src/sim/execution.cpp). Stamps the pass's start on the rest.
inline void drop_late(std::vector<Pending>& batch, const BatchPolicy& policy, Completion& done) {
  const Time t = now();
  for (Pending& p : batch) p.pass_start = t;
  if (!policy.drop_expired) return;
  auto kept = std::stable_partition(batch.begin(), batch.end(),
                                    [&](const Pending& p) { return p.item.deadline >= t; });
  for (auto it = kept; it != batch.end(); ++it)
    done.finish_rejected(std::move(*it), RejectReason::Expired, "deadline passed while queued");
  batch.erase(kept, batch.end());
  while (!batch.empty()) {
    const auto predicted = done.pass_times().predict(batch.size());
    if (!predicted) return;  // nothing measured yet: no grounds to leave anything out
    const auto earliest = std::min_element(
        batch.begin(), batch.end(),
        [](const Pending& a, const Pending& b) { return a.item.deadline < b.item.deadline; });
    if (t + *predicted <= earliest->item.deadline) return;
    done.finish_rejected(
        std::move(*earliest), RejectReason::WouldBeLate,
        fmt::format("a pass of {} takes {:.2f} ms", batch.size(), to_ms(*predicted)));
    batch.erase(earliest);
  }
}

inline std::vector<float> pack(const std::vector<Pending>& batch, std::size_t input_size) {
  std::vector<float> in(batch.size() * input_size);
  for (std::size_t i = 0; i < batch.size(); ++i)
    std::copy(batch[i].item.input.begin(), batch[i].item.input.end(),
              in.begin() + static_cast<std::ptrdiff_t>(i * input_size));
  return in;
}

/// Completes every item of a pass with its slice of `out`, in SLO or late by the clock now.
inline void complete(std::vector<Pending>& batch, std::span<const float> out,
                     std::size_t output_size, Completion& done) {
  const Time t = now();
  if (!batch.empty()) done.pass(batch.size(), t - batch.front().pass_start);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Result r;
    r.outcome = t <= batch[i].item.deadline ? Outcome::InSlo : Outcome::Late;
    const auto first = out.begin() + static_cast<std::ptrdiff_t>(i * output_size);
    r.output.assign(first, first + static_cast<std::ptrdiff_t>(output_size));
    r.batch = static_cast<std::uint32_t>(batch.size());
    done.finish(std::move(batch[i]), std::move(r));
  }
}

inline void reject_all(std::vector<Pending>& batch, RejectReason why, const std::string& detail,
                       Completion& done) {
  for (Pending& p : batch) done.finish_rejected(std::move(p), why, detail);
  batch.clear();
}

/// Runs `forward()` and turns an exception from the model into rejections of the whole pass.
template <class Forward>
bool run_guarded(std::vector<Pending>& batch, Completion& done, Forward&& forward) {
  try {
    forward();
    return true;
  } catch (const std::exception& e) {
    reject_all(batch, RejectReason::ModelError, e.what(), done);
  } catch (...) {
    reject_all(batch, RejectReason::ModelError, "unknown exception", done);
  }
  return false;
}

}  // namespace epara::exec::detail
