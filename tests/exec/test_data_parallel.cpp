#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <thread>

#include "epara/exec/data_parallel_executor.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::output_of;

TEST_CASE("data parallel spreads items over replicas and returns them in order", "[exec]") {
  std::vector<std::shared_ptr<test::PassLog>> logs;
  std::vector<test::FakeModel> replicas;
  auto gate = std::make_shared<test::Gate>();  // holds every replica's passes until all run one
  for (int r = 0; r < 3; ++r) {                // replicas of different speeds finish out of order
    logs.push_back(std::make_shared<test::PassLog>());
    replicas.emplace_back(1, 4, logs.back(), std::chrono::microseconds(300 * (r + 1)));
    replicas.back().gate = gate;
  }
  DataParallelExecutor exec(std::move(replicas), BatchPolicy{4, 0ms});
  std::mutex mutex;
  std::vector<std::uint64_t> delivered;
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 120; ++i)
    futures.push_back(exec.submit(test::item_of(1, static_cast<float>(i)), [&](const Result& r) {
      std::lock_guard lock(mutex);
      delivered.push_back(r.sequence);
    }));
  // A replica blocked in its pass leaves the queue to the others, so all three take one, however
  // slowly their threads are scheduled; then they race freely.
  const auto until = std::chrono::steady_clock::now() + 10s;
  const auto all_in_a_pass = [&] {
    return std::all_of(logs.begin(), logs.end(), [](const auto& l) { return l->busy == 1; });
  };
  while (!all_in_a_pass() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  REQUIRE(all_in_a_pass());
  gate->release();
  for (int i = 0; i < 120; ++i) {
    const Result r = futures[static_cast<std::size_t>(i)].get();
    REQUIRE(
        std::ranges::equal(output_of(r), std::vector<float>{2.0f * static_cast<float>(i) + 1.0f}));
  }
  exec.shutdown();
  REQUIRE(delivered.size() == 120);
  for (std::size_t i = 0; i < delivered.size(); ++i) REQUIRE(delivered[i] == i);
  for (const auto& log : logs) CHECK(!log->passes.empty());
}

TEST_CASE("a data parallel callback may submit again: callbacks run outside the executor's lock",
          "[exec]") {
  // Ordered delivery once ran callbacks under the executor's mutex, which submit takes too: a
  // callback that submitted deadlocked its replica's thread.
  auto log = std::make_shared<test::PassLog>();
  std::vector<test::FakeModel> replicas;
  for (int r = 0; r < 2; ++r) replicas.emplace_back(1, 4, log);
  DataParallelExecutor exec(std::move(replicas), BatchPolicy{4, 0ms});
  std::promise<std::future<Result>> resubmitted;
  auto first = exec.submit(test::item_of(1, 1.0f), [&](const Result&) {
    resubmitted.set_value(exec.submit(test::item_of(1, 2.0f)));
  });
  auto inner = resubmitted.get_future();
  REQUIRE(inner.wait_for(10s) == std::future_status::ready);
  CHECK(std::ranges::equal(output_of(first.get()), std::vector<float>{3.0f}));
  CHECK(std::ranges::equal(output_of(inner.get().get()), std::vector<float>{5.0f}));
  exec.shutdown();
}

TEST_CASE("data parallel replicas must agree in shape", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  std::vector<test::FakeModel> replicas;
  replicas.emplace_back(2, 4, log);
  replicas.emplace_back(3, 4, log);
  CHECK_THROWS_WITH(DataParallelExecutor(std::move(replicas), BatchPolicy{4, 0ms}),
                    "executor: replicas differ in their input or output tensors");
}

TEST_CASE("data parallel orders results within a stream, never across streams", "[exec]") {
  // Two replicas, each held at its gate: stream 1's first frame waits on one; stream 2's frame,
  // submitted later, runs on the other and is delivered at once; stream 1's second frame, done
  // early on that free replica, is delivered only after its first.
  std::vector<std::shared_ptr<test::PassLog>> logs;
  std::vector<std::shared_ptr<test::Gate>> gates;
  std::vector<test::FakeModel> replicas;
  for (int r = 0; r < 2; ++r) {
    logs.push_back(std::make_shared<test::PassLog>());
    gates.push_back(std::make_shared<test::Gate>());
    replicas.emplace_back(1, 1, logs.back());
    replicas.back().gate = gates.back();
  }
  DataParallelExecutor exec(std::move(replicas), BatchPolicy{1, 0ms});
  std::mutex mutex;
  std::vector<float> delivered;  // the frames' values, as delivered
  const auto submit = [&](float value, std::uint64_t stream) {
    return exec.submit(test::item_of(1, value, 10s, stream), [&](const Result& r) {
      std::lock_guard lock(mutex);
      delivered.push_back((output_of(r).front() - 1.0f) / 2.0f);
    });
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  const auto busy_replica = [&]() -> int {
    while (std::chrono::steady_clock::now() < until) {
      for (int r = 0; r < 2; ++r)
        if (logs[static_cast<std::size_t>(r)]->busy == 1) return r;
      std::this_thread::sleep_for(1ms);
    }
    return -1;
  };
  auto first_of_1 = submit(10, 1);
  const int holding = busy_replica();
  REQUIRE(holding >= 0);
  const auto other = static_cast<std::size_t>(1 - holding);
  auto only_of_2 = submit(20, 2);
  gates[other]->release();
  REQUIRE(only_of_2.wait_for(10s) == std::future_status::ready);  // not behind stream 1
  CHECK(first_of_1.wait_for(0s) == std::future_status::timeout);
  auto second_of_1 = submit(11, 1);
  const auto passes_run = [&](std::size_t r) {
    std::lock_guard lock(logs[r]->mutex);
    return logs[r]->passes.size();
  };
  while (passes_run(other) < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  REQUIRE(passes_run(other) == 2);  // frame 11 ran ...
  std::this_thread::sleep_for(20ms);
  CHECK(second_of_1.wait_for(0s) == std::future_status::timeout);  // ... and waits for frame 10
  gates[static_cast<std::size_t>(holding)]->release();
  CHECK(second_of_1.get().outcome == Outcome::InSlo);
  CHECK(first_of_1.get().outcome == Outcome::InSlo);
  exec.shutdown();
  CHECK(delivered == std::vector<float>{20, 10, 11});
}
