// Shutdown with a grace period: a model that never returns cannot hold a drain past it, and
// every item — queued or in the hung pass — still gets exactly one Result.

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_task_executor.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::FakeModel;
using test::item_of;

namespace {

// Until a pass is running in the gated model (whose log this is: a pass that is not held
// would come and go); the executor's counts say where items are if none does.
void wait_for_a_pass(const test::PassLog& log, const std::function<Counts()>& counts) {
  const Time until = now() + 30s;
  while (log.busy.load() == 0 && now() < until) std::this_thread::sleep_for(1ms);
  const Counts c = counts();
  INFO("submitted " << c.submitted << ", answered " << c.finished() << ", passes " << c.passes);
  REQUIRE(log.busy.load() > 0);
}

// Every future is ready and rejected for shutdown; how many were in the hung pass.
int abandoned_in_pass(std::vector<std::future<Result>>& futures) {
  int in_pass = 0;
  for (auto& f : futures) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    const Result r = f.get();
    CHECK(r.reason == RejectReason::Shutdown);
    in_pass += r.detail == "its pass outlived the shutdown's grace period";
    if (r.detail != "its pass outlived the shutdown's grace period")
      CHECK(r.detail == "the shutdown's grace period ended while it was queued");
  }
  return in_pass;
}

}  // namespace

TEST_CASE("a hung model holds a shutdown no longer than its grace period", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  auto gate = std::make_shared<test::Gate>();
  FakeModel model(1, 2, log);
  model.gate = gate;  // the first pass never returns until the test opens the gate
  BatchingExecutor exec(std::move(model), BatchPolicy{2, 0ms});
  std::vector<std::future<Result>> futures;
  futures.push_back(exec.submit(item_of(1, 1.0f)));
  wait_for_a_pass(*log, [&] { return exec.counts(); });
  for (int i = 0; i < 5; ++i) futures.push_back(exec.submit(item_of(1, 1.0f)));

  const Time start = now();
  CHECK_FALSE(exec.shutdown(Drain::Finish, 50ms));
  const Duration took = now() - start;
  CHECK(took >= 50ms);
  CHECK(took < 5s);  // the pass is still running: without the grace period this never returns
  CHECK(abandoned_in_pass(futures) == 1);
  CHECK(exec.counts().finished() == 6);

  gate->release();  // the pass returns; its output is dropped: the item has its Result already
  exec.shutdown();  // now the worker can be joined
  const Counts c = exec.counts();
  CHECK(c.submitted == 6);
  CHECK(c.rejected == 6);
  CHECK(c.in_slo + c.late == 0);
}

TEST_CASE("a shutdown whose grace period suffices finishes the queue", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  BatchingExecutor exec(FakeModel(1, 4, log, 1ms), BatchPolicy{4, 0ms});
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 40; ++i) futures.push_back(exec.submit(item_of(1, 1.0f)));
  CHECK(exec.shutdown(Drain::Finish, 30s));
  for (auto& f : futures) CHECK(f.get().outcome == Outcome::InSlo);
  CHECK(exec.shutdown(Drain::Finish, 0s));  // idempotent
}

TEST_CASE("abandoned items of ordered streams are delivered in their streams' order", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  auto gate = std::make_shared<test::Gate>();
  std::vector<FakeModel> replicas;
  for (int i = 0; i < 2; ++i) {
    replicas.emplace_back(1, 1, log);
    replicas.back().gate = gate;  // both replicas hang on their first pass
  }
  DataParallelExecutor exec(std::move(replicas), BatchPolicy{1, 0ms});
  std::mutex mutex;
  std::map<std::uint64_t, std::vector<std::uint64_t>> delivered;  // stream -> sequences
  std::vector<std::future<Result>> futures;
  for (std::uint64_t i = 0; i < 12; ++i) {
    const std::uint64_t stream = i % 3;
    futures.push_back(exec.submit(item_of(1, 1.0f, 10s, stream), [&, stream](const Result& r) {
      std::lock_guard lock(mutex);
      delivered[stream].push_back(r.sequence);
    }));
  }
  wait_for_a_pass(*log, [&] { return exec.counts(); });
  CHECK_FALSE(exec.shutdown(Drain::Finish, 20ms));
  CHECK(abandoned_in_pass(futures) >= 1);
  gate->release();
  exec.shutdown();
  for (const auto& [stream, sequences] : delivered) {
    INFO("stream " << stream);
    CHECK(sequences.size() == 4);
    CHECK(std::is_sorted(sequences.begin(), sequences.end()));
  }
}

TEST_CASE("a hung pipeline stage and a hung task: the grace period bounds both", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  auto gate = std::make_shared<test::Gate>();
  {
    std::vector<FakeModel> stages;
    stages.emplace_back(1, 1, std::make_shared<test::PassLog>());
    stages.emplace_back(1, 1, log);  // its own log: the first stage's passes come and go
    stages.back().gate = gate;       // the second stage hangs
    ModelParallelExecutor exec(std::move(stages), BatchPolicy{1, 0ms});
    std::vector<std::future<Result>> futures;
    for (int i = 0; i < 4; ++i) futures.push_back(exec.submit(item_of(1, 1.0f)));
    wait_for_a_pass(*log, [&] { return exec.counts(); });
    CHECK_FALSE(exec.shutdown(Drain::Finish, 20ms));
    CHECK(abandoned_in_pass(futures) >= 1);
    gate->release();
  }
  auto hung = std::make_shared<test::Gate>();
  auto log2 = std::make_shared<test::PassLog>();
  MultiTaskExecutor exec;
  FakeModel stuck(1, 1, log2);
  stuck.gate = hung;
  const std::size_t fine =
      exec.add_task(FakeModel(1, 1, std::make_shared<test::PassLog>()), BatchPolicy{1, 0ms});
  const std::size_t bad = exec.add_task(std::move(stuck), BatchPolicy{1, 0ms});
  CHECK(exec.submit(fine, item_of(1, 1.0f)).get().outcome == Outcome::InSlo);
  std::future<Result> stuck_item = exec.submit(bad, item_of(1, 1.0f));
  wait_for_a_pass(*log2, [&] { return exec.counts(bad); });
  const Time start = now();
  CHECK_FALSE(exec.shutdown(Drain::Finish, 30ms));
  CHECK(now() - start < 5s);
  CHECK(stuck_item.get().reason == RejectReason::Shutdown);
  hung->release();
}
