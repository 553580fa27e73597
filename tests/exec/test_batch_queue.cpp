// The batch queue against the plain deque it replaced (exec/deque_batch_queue.hpp).

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "epara/exec/batch_queue.hpp"
#include "exec/deque_batch_queue.hpp"

using namespace epara;
using namespace epara::exec;

namespace {

Pending pending(std::uint64_t sequence, std::uint64_t stream) {
  Pending p;
  p.item.stream = stream;
  p.submitted = now() - std::chrono::seconds(1);  // its timeout is over: pop_batch never waits
  p.sequence = sequence;
  return p;
}

std::vector<std::uint64_t> sequences(const std::vector<Pending>& batch) {
  std::vector<std::uint64_t> out;
  for (const Pending& p : batch) out.push_back(p.sequence);
  return out;
}

}  // namespace

TEST_CASE("the batch queue hands out the passes of a plain deque", "[exec]") {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    BatchQueue queue;
    test::DequeBatchQueue reference;
    std::uint64_t next = 0;
    const std::uint64_t streams = 1 + rng() % 6;
    for (int step = 0; step < 2000; ++step) {
      if (rng() % 3 != 0 || reference.items.empty()) {  // push more often than pop
        const std::uint64_t stream = rng() % streams;
        const std::size_t capacity = 64;
        const bool full = reference.items.size() >= capacity;
        const auto refused = queue.push(pending(next, stream), capacity);
        REQUIRE(refused.has_value() == full);
        if (!full) reference.push(next, stream);
        ++next;
      } else {
        BatchPolicy policy;
        policy.max_batch = 1 + rng() % 8;
        policy.same_stream = rng() % 2 == 0;
        REQUIRE(sequences(queue.pop_batch(policy)) == reference.take(policy));
      }
      REQUIRE(queue.size() == reference.items.size());
    }
    std::vector<std::uint64_t> rest;
    for (const auto& [sequence, stream] : reference.items) rest.push_back(sequence);
    CHECK(sequences(queue.take_all()) == rest);  // oldest first
    CHECK(queue.size() == 0);
  }
}

TEST_CASE("a closed batch queue refuses items and hands out what it holds, then nothing",
          "[exec]") {
  BatchQueue queue;
  REQUIRE_FALSE(queue.push(pending(0, 7), 8).has_value());
  REQUIRE_FALSE(queue.push(pending(1, 3), 8).has_value());
  queue.close();
  const auto refused = queue.push(pending(2, 7), 8);
  REQUIRE(refused.has_value());
  CHECK(refused->second == RejectReason::Shutdown);
  BatchPolicy one_stream;
  one_stream.max_batch = 4;
  one_stream.same_stream = true;
  CHECK(sequences(queue.pop_batch(one_stream)) == std::vector<std::uint64_t>{0});
  CHECK(sequences(queue.pop_batch(one_stream)) == std::vector<std::uint64_t>{1});
  CHECK(queue.pop_batch(one_stream).empty());  // closed and drained: no wait
}
