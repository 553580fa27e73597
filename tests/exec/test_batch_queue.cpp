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

// The sequences of the next pass (none once the queue is closed and drained).
std::vector<std::uint64_t> pop_sequences(BatchQueue& queue, const BatchPolicy& policy) {
  std::vector<Pending> pass;
  if (!queue.pop_batch(policy, pass)) return {};
  return sequences(pass);
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
        Pending p = pending(next, stream);
        const auto refused = queue.push(p, capacity);
        REQUIRE(refused.has_value() == full);
        if (!full) reference.push(next, stream);
        ++next;
      } else {
        BatchPolicy policy;
        policy.max_batch = 1 + rng() % 8;
        policy.same_stream = rng() % 2 == 0;
        REQUIRE(pop_sequences(queue, policy) == reference.take(policy));
      }
      REQUIRE(queue.size() == reference.items.size());
    }
    std::vector<std::uint64_t> rest;
    for (const auto& [sequence, stream] : reference.items) rest.push_back(sequence);
    std::vector<std::uint64_t> oldest_first;
    while (const auto p = queue.pop_oldest()) oldest_first.push_back(p->sequence);
    CHECK(oldest_first == rest);
    CHECK(queue.size() == 0);
  }
}

TEST_CASE("a closed batch queue refuses items and hands out what it holds, then nothing",
          "[exec]") {
  BatchQueue queue;
  Pending first = pending(0, 7), second = pending(1, 3);
  REQUIRE_FALSE(queue.push(first, 8).has_value());
  REQUIRE_FALSE(queue.push(second, 8).has_value());
  queue.close();
  Pending refused_item = pending(2, 7);
  CHECK(queue.push(refused_item, 8) == RejectReason::Shutdown);
  CHECK(refused_item.item.stream == 7);  // left with the caller
  BatchPolicy one_stream;
  one_stream.max_batch = 4;
  one_stream.same_stream = true;
  CHECK(pop_sequences(queue, one_stream) == std::vector<std::uint64_t>{0});
  CHECK(pop_sequences(queue, one_stream) == std::vector<std::uint64_t>{1});
  std::vector<Pending> none;
  CHECK_FALSE(queue.pop_batch(one_stream, none));  // closed and drained: no wait
  CHECK(none.empty());
}
