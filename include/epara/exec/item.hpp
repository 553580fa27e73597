#pragma once
// One unit of work as the caller submits it, and as it waits inside an executor.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <vector>

#include "epara/exec/outcome.hpp"
#include "epara/exec/tensor.hpp"
#include "epara/units.hpp"

namespace epara::exec {

/// The executors' clock: steady, in nanoseconds (the library's Time).
inline Time now() noexcept {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

struct Item {
  std::vector<Tensor> inputs;  ///< one per entry of the model's inputs(), in that order
  Time deadline;               ///< absolute: the item's SLO
  std::uint64_t stream = 0;    ///< the stream it belongs to (multi-frame groups by it)
};

/// Called once with the item's Result, on an executor thread, before its future is ready.
/// It must not throw (an exception from it is caught and dropped) and should be quick.
using Callback = std::function<void(const Result&)>;

/// An item inside an executor (its callback and promise wait in the executor's Completion).
struct Pending {
  Item item;
  Time submitted;
  Time pass_start{};           ///< when its pass was handed out
  std::uint64_t sequence = 0;  ///< order of entry into the executor: its key in Completion
};

/// How an executor forms passes; set from a Plan with batch_policy(plan).
struct BatchPolicy {
  std::size_t max_batch = 1;     ///< items per pass, at most
  Duration timeout{};            ///< longest wait after the oldest item for a fuller pass
  bool same_stream = false;      ///< a pass takes items of one stream only (multi-frame)
  bool drop_expired = true;      ///< reject what is past its deadline or its pass would make late
  std::size_t capacity = 65536;  ///< queued items, at most; more are rejected (queue-full)
};

/// Results as passes finish, or in submission order within each stream (Item::stream): an
/// item waits for the earlier items of its own stream only.
enum class Order { AsCompleted, WithinStream };

/// How shutdown treats queued items: run them, or reject them (reason shutdown). A shutdown
/// with a grace period rejects whatever is still queued or in a pass when it ends.
enum class Drain { Finish, Reject };

}  // namespace epara::exec
