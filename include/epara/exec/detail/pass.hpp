#pragma once
// The steps every executor shares: admit an item, drop what cannot count, show a pass to the
// model, hand out its outputs. Not part of the public API.

#include <algorithm>
#include <exception>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "epara/exec/batch.hpp"
#include "epara/exec/batch_queue.hpp"
#include "epara/exec/completion.hpp"

namespace epara::exec::detail {

/// The message of the exception being handled (call it in a catch block).
inline std::string_view current_message() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// Takes the item in and queues it, or answers it at once as rejected (inputs that do not fit
/// `inputs`, full, shut down, out of memory). Either way the returned future will be
/// fulfilled; if memory runs out before the item is taken in, it throws std::bad_alloc.
inline std::future<Result> admit(Completion& done, BatchQueue& queue, const BatchPolicy& policy,
                                 std::span<const TensorSpec> inputs, Item item, Callback callback) {
  Pending p{std::move(item), now()};
  const std::optional<std::string> why = mismatch(inputs, p.item.inputs, "input");
  std::future<Result> future = done.enter(p, std::move(callback));
  try {
    if (why) {
      done.finish_rejected(p, RejectReason::BadInput, *why);
    } else if (const auto refused = queue.push(p, policy.capacity)) {
      done.finish_rejected(p, *refused,
                           *refused == RejectReason::QueueFull
                               ? fmt::format("{} items queued", policy.capacity)
                               : std::string("the executor is shut down"));
    }
  } catch (...) {
    done.finish_rejected(p, RejectReason::ExecutorError, current_message());
  }
  return future;
}

/// With drop_expired, leaves out of a pass starting now the items that cannot count: those past
/// their deadline, then — earliest deadline first, the pass getting shorter with each — those
/// the pass would finish late by the executor's measured pass times. The simulator leaves out
/// the same items (src/sim/execution.cpp), but for one: when the measured time of a lone
/// item's pass exceeds its whole deadline budget — so that no item could ever be served — and
/// the executor has run no pass for as long as that time, the item runs anyway. The
/// measurement may be stale (passes timed while the device was slow or taken by another task)
/// and only a pass can correct it: without this, a pessimistic estimate rejected every later
/// item and never ran the pass that would have shown it wrong. (The simulator's times are the
/// profile's, never stale.) Stamps the pass's start on the rest.
inline void drop_late(std::vector<Pending>& batch, const BatchPolicy& policy, Completion& done) {
  const Time t = now();
  for (Pending& p : batch) p.pass_start = t;
  if (!policy.drop_expired) return;
  auto kept = std::stable_partition(batch.begin(), batch.end(),
                                    [&](const Pending& p) { return p.item.deadline >= t; });
  for (auto it = kept; it != batch.end(); ++it)
    done.finish_rejected(*it, RejectReason::Expired, "deadline passed while queued");
  batch.erase(kept, batch.end());
  while (!batch.empty()) {
    const auto predicted = done.pass_times().predict(batch.size());
    if (!predicted) return;  // nothing measured yet: no grounds to leave anything out
    const auto earliest = std::min_element(
        batch.begin(), batch.end(),
        [](const Pending& a, const Pending& b) { return a.item.deadline < b.item.deadline; });
    if (t + *predicted <= earliest->item.deadline) return;
    if (batch.size() == 1 && earliest->submitted + *predicted > earliest->item.deadline &&
        t - done.pass_times().last_end() >= *predicted)
      return;  // a probe: see above
    done.finish_rejected(
        *earliest, RejectReason::WouldBeLate,
        fmt::format("a pass of {} takes {:.2f} ms", batch.size(), to_ms(*predicted)));
    batch.erase(earliest);
  }
}

/// The pass's items as the model sees them: their own input tensors, room for `outputs` each.
inline Batch batch_of(const std::vector<Pending>& batch, std::size_t outputs) {
  std::vector<const std::vector<Tensor>*> inputs;
  inputs.reserve(batch.size());
  for (const Pending& p : batch) inputs.push_back(&p.item.inputs);
  return {std::move(inputs), outputs};
}

/// Why some item's `outputs` do not fit `specs` (the model broke its word), or nothing.
inline std::optional<std::string> misfit(const std::vector<std::vector<Tensor>>& outputs,
                                         std::span<const TensorSpec> specs, std::string_view what) {
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (auto why = mismatch(specs, outputs[i], what))
      return fmt::format("item {} of the pass: {}", i, *why);
  return std::nullopt;
}

inline void reject_all(std::vector<Pending>& batch, RejectReason why, std::string_view detail,
                       Completion& done) noexcept {
  for (const Pending& p : batch) done.finish_rejected(p, why, detail);
  batch.clear();
}

/// Completes every item of a pass with its outputs, in SLO or late by the clock now; the whole
/// pass as model-error if any output does not fit `specs`.
inline void complete(std::vector<Pending>& batch, std::vector<std::vector<Tensor>> outputs,
                     std::span<const TensorSpec> specs, Completion& done) {
  const Time t = now();
  if (batch.empty()) return;
  if (auto why = misfit(outputs, specs, "output"))
    return reject_all(batch, RejectReason::ModelError, *why, done);
  done.pass(batch.size(), t - batch.front().pass_start, t);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Result r;
    r.outcome = t <= batch[i].item.deadline ? Outcome::InSlo : Outcome::Late;
    r.outputs = std::move(outputs[i]);
    r.batch = static_cast<std::uint32_t>(batch.size());
    done.finish(batch[i], std::move(r));
  }
  batch.clear();
}

/// Runs one pass's work; anything it throws outside the model (memory running out while the
/// pass is packed or its outputs handed out) rejects the pass's items not yet answered.
template <class Work>
void guard_pass(std::vector<Pending>& batch, Completion& done, Work&& work) noexcept {
  try {
    work();
  } catch (...) {
    reject_all(batch, RejectReason::ExecutorError, current_message(), done);
  }
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
