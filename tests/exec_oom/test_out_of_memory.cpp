// Memory running out inside an executor: whichever allocation of a worker thread fails — while
// a pass is taken, packed, run or answered — every item still gets exactly one Result and the
// process goes on. Its own executable: it replaces the global operator new (support/replaced_new)
// to fail on demand.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_frame_executor.hpp"
#include "exec/fake_model.hpp"
#include "support/replaced_new.hpp"

namespace {

// The allocation that fails: the n-th from when it is set, counting only threads other than
// the test's own (the executors' workers); -1: none.
std::atomic<long> fail_countdown{-1};
std::atomic<std::thread::id> test_thread{};

}  // namespace

// Called by every operator new (support/replaced_new.cpp).
bool allocation_fails() noexcept {
  return fail_countdown.load(std::memory_order_relaxed) >= 0 &&
         std::this_thread::get_id() != test_thread.load(std::memory_order_relaxed) &&
         fail_countdown.fetch_sub(1) == 0;
}

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::FakeModel;

namespace {

struct Tally {
  int served = 0, executor_error = 0, model_error = 0;
};

// Submits `items` items of three streams with worker allocation `n` failing; checks that each
// gets one Result (served, or rejected for the failure) and that the counts agree. Returns the
// allocations the workers made, where none failed.
template <class Executor>
long run_with_failure(Executor& exec, long n, int items, Tally& tally) {
  test_thread = std::this_thread::get_id();
  fail_countdown = n;
  std::vector<std::future<Result>> futures;
  futures.reserve(static_cast<std::size_t>(items));
  for (int i = 0; i < items; ++i)
    futures.push_back(exec.submit(test::item_of(4, 1.0f, 10s, static_cast<std::uint64_t>(i % 3))));
  for (auto& f : futures) {
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    const Result r = f.get();  // a broken promise would throw here
    if (r.outcome != Outcome::Rejected) {
      ++tally.served;
    } else if (r.reason == RejectReason::ExecutorError) {
      ++tally.executor_error;
      CHECK(r.detail == "std::bad_alloc");
    } else {
      REQUIRE(r.reason == RejectReason::ModelError);  // the allocation failed inside forward()
      ++tally.model_error;
    }
  }
  exec.shutdown();
  const long allocations = n - fail_countdown.exchange(-1);
  const Counts c = exec.counts();
  CHECK(c.submitted == static_cast<std::uint64_t>(items));
  CHECK(c.finished() == c.submitted);
  return allocations;
}

std::vector<FakeModel> models(std::size_t count, const std::shared_ptr<test::PassLog>& log) {
  std::vector<FakeModel> m;
  for (std::size_t i = 0; i < count; ++i) m.emplace_back(4, 4, log);
  return m;
}

constexpr int items = 12;
constexpr long none_fails = 1L << 40;

// A fresh executor (make()) per failing worker allocation, from the first to half again past
// those of a run where none fails (a run's passes, and so its allocations, vary with timing:
// 79 in the one-queue executors, 233 in the pipeline); over them all, some items must have
// been served and both failure paths reached.
template <class Make>
void fail_each_allocation(Make make) {
  Tally unfailed, tally;
  const long counted = run_with_failure(*make(), none_fails, items, unfailed);
  INFO("worker allocations of a run: " << counted);
  for (long n = 0; n < counted * 3 / 2; ++n) {
    INFO("failing worker allocation " << n);
    auto exec = make();
    run_with_failure(*exec, n, items, tally);
  }
  CHECK(tally.executor_error > 0);
  CHECK(tally.model_error > 0);
  CHECK(tally.served > 0);
}

std::shared_ptr<test::PassLog> new_log() { return std::make_shared<test::PassLog>(); }

}  // namespace

TEST_CASE("out of memory in a batching executor: one Result per item", "[exec]") {
  fail_each_allocation([] {
    return std::make_unique<BatchingExecutor<FakeModel>>(FakeModel(4, 4, new_log()),
                                                         BatchPolicy{4, 1ms});
  });
}

TEST_CASE("out of memory in an ordered data-parallel executor: one Result per item", "[exec]") {
  fail_each_allocation([] {
    return std::make_unique<DataParallelExecutor<FakeModel>>(models(2, new_log()),
                                                             BatchPolicy{4, 1ms});
  });
}

TEST_CASE("out of memory in a multi-frame executor: one Result per item", "[exec]") {
  fail_each_allocation([] {
    return std::make_unique<MultiFrameExecutor<FakeModel>>(FakeModel(4, 4, new_log()), 4, 1ms);
  });
}

TEST_CASE("out of memory in a model-parallel pipeline: one Result per item", "[exec]") {
  fail_each_allocation([] {
    return std::make_unique<ModelParallelExecutor<FakeModel>>(models(3, new_log()),
                                                              BatchPolicy{4, 1ms});
  });
}
