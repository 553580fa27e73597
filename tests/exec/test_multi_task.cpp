#include <algorithm>
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "epara/exec/multi_task_executor.hpp"
#include "epara/exec/reference/cpu_attention.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::output_of;

TEST_CASE("the device goes to the highest-priority waiting task first", "[exec]") {
  auto log = std::make_shared<test::PassLog>();  // one log: the device's pass order
  auto gate = std::make_shared<test::Gate>();
  test::FakeModel blocker(1, 1, log);
  blocker.gate = gate;
  MultiTaskExecutor exec(1);
  const std::size_t hold = exec.add_task(std::move(blocker), BatchPolicy{1, 0ms}, 0);
  const std::size_t low = exec.add_task(test::FakeModel(1, 1, log), BatchPolicy{1, 0ms}, 1);
  const std::size_t high = exec.add_task(test::FakeModel(1, 1, log), BatchPolicy{1, 0ms}, 5);
  auto first = exec.submit(hold, test::item_of(1, 0.0f));
  while (log->busy.load() == 0) std::this_thread::yield();  // the blocker holds the device
  auto a = exec.submit(low, test::item_of(1, 1.0f));
  auto b = exec.submit(high, test::item_of(1, 2.0f));
  while (exec.waiting() < 2) std::this_thread::yield();  // both wait for the device
  gate->release();
  a.get(), b.get(), first.get();
  REQUIRE(log->passes.size() == 3);
  CHECK(log->passes[1].front() == 2.0f);  // high priority before low
  CHECK(log->passes[2].front() == 1.0f);
  CHECK(log->max_busy == 1);  // time-sliced: never two passes at once
}

TEST_CASE("tasks of different model types share a device", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  MultiTaskExecutor exec(2);
  const std::size_t fake = exec.add_task(test::FakeModel(3, 4, log), BatchPolicy{4, 0ms});
  const std::size_t attention =
      exec.add_task(CpuAttention(make_attention(4, 8, 1), 2), BatchPolicy{2, 0ms}, 1);
  REQUIRE(exec.tasks() == 2);
  auto r1 = exec.submit(fake, test::item_of(3, 1.0f));
  auto r2 = exec.submit(attention,
                        {{Tensor::of(std::vector<float>(32, 0.5f), Shape{4, 8})}, now() + 10s});
  auto bad = exec.submit(attention, test::item_of(3, 0.5f));
  CHECK(std::ranges::equal(output_of(r1.get()), std::vector<float>{3.0f, 3.0f, 3.0f}));
  CHECK(output_of(r2.get()).size() == 32);
  CHECK(bad.get().reason == RejectReason::BadInput);
  CHECK_THROWS_WITH(exec.submit(7, test::item_of(3, 1.0f)),
                    "multi-task executor: no task 7 (has 2)");
  exec.shutdown();
  CHECK(exec.counts(attention).finished() == 2);
}

TEST_CASE("tasks may be added while others submit from other threads", "[exec]") {
  // add_task grew the task list while submit read it from another thread: a data race that
  // ThreadSanitizer reports (and a reallocation could crash) before tasks were guarded.
  auto log = std::make_shared<test::PassLog>();
  MultiTaskExecutor exec(2);
  const std::size_t first = exec.add_task(test::FakeModel(1, 4, log), BatchPolicy{4, 0ms});
  std::atomic<bool> adding{true};
  std::thread adder([&] {
    for (int t = 0; t < 40; ++t) exec.add_task(test::FakeModel(1, 4, log), BatchPolicy{4, 0ms});
    adding = false;
  });
  std::vector<std::future<Result>> results;
  while (adding || results.size() < 100)
    results.push_back(exec.submit(first, test::item_of(1, static_cast<float>(results.size()))));
  adder.join();
  for (std::size_t i = 0; i < results.size(); ++i)
    REQUIRE(std::ranges::equal(output_of(results[i].get()),
                               std::vector<float>{2.0f * static_cast<float>(i) + 1.0f}));
  CHECK(exec.tasks() == 41);
  exec.shutdown();
  CHECK_THROWS_WITH(exec.add_task(test::FakeModel(1, 4, log), BatchPolicy{4, 0ms}),
                    "multi-task executor: add_task after shutdown");
}
