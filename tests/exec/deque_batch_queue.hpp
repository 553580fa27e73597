#pragma once
// The batch queue as it was: one deque in submission order; a pass takes the oldest items (of
// the oldest item's stream when asked), scanning and erasing mid-deque. The reference the
// per-stream BatchQueue is tested against, and its baseline in bench_exec.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "epara/exec/item.hpp"

namespace epara::test {

struct DequeBatchQueue {
  std::deque<std::pair<std::uint64_t, std::uint64_t>> items;  // (sequence, stream)

  void push(std::uint64_t sequence, std::uint64_t stream) { items.emplace_back(sequence, stream); }

  /// Items of the oldest one's stream: what a same-stream pass may wait for.
  std::size_t eligible(const exec::BatchPolicy& policy) const {
    if (!policy.same_stream) return items.size();
    const std::uint64_t oldest = items.front().second;
    return static_cast<std::size_t>(std::count_if(
        items.begin(), items.end(), [&](const auto& item) { return item.second == oldest; }));
  }

  std::vector<std::uint64_t> take(const exec::BatchPolicy& policy) {
    const std::uint64_t stream = items.front().second;
    std::vector<std::uint64_t> batch;
    for (auto it = items.begin(); it != items.end() && batch.size() < policy.max_batch;) {
      if (!policy.same_stream || it->second == stream) {
        batch.push_back(it->first);
        it = items.erase(it);
      } else {
        ++it;
      }
    }
    return batch;
  }
};

}  // namespace epara::test
