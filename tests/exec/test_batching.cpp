#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "exec/fake_model.hpp"
#include "exec/matches_reference.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::FakeModel;
using test::item_of;
using test::output_of;

TEST_CASE("batching returns each item its own output of the model", "[exec]") {
  const DenseChainWeights w = make_dense_chain({16, 32, 8}, 3);
  CpuDenseChain reference(w, 1);
  BatchingExecutor exec(CpuDenseChain(w, 8), BatchPolicy{8, 2ms});
  test::expect_matches_reference(exec, reference, 40, 11);
}

TEST_CASE("passes never exceed max_batch and fill up when items wait", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  FakeModel model(4, 16, log);
  auto gate = std::make_shared<test::Gate>();
  model.gate = gate;
  BatchingExecutor exec(std::move(model), BatchPolicy{4, 0ms});
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 21; ++i) futures.push_back(exec.submit(item_of(4, static_cast<float>(i))));
  gate->release();  // the first pass held the device while the other 20 queued
  for (auto& f : futures) REQUIRE(f.get().outcome == Outcome::InSlo);
  std::size_t items = 0, full = 0;
  for (const auto& p : log->passes) {
    REQUIRE(p.size() <= 4);
    items += p.size();
    full += p.size() == 4;
  }
  CHECK(items == 21);
  CHECK(full >= 4);  // 20 queued items: 5 full passes
}

TEST_CASE("retune changes the batch of the passes after it, within the model's limit", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  FakeModel model(4, 16, log);
  auto gate = std::make_shared<test::Gate>();
  model.gate = gate;
  BatchingExecutor exec(std::move(model), BatchPolicy{2, 0ms});
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 9; ++i) futures.push_back(exec.submit(item_of(4, static_cast<float>(i))));
  exec.retune(8, 0ms);  // the first pass (up to 2 items) holds the device meanwhile
  CHECK(exec.policy().max_batch == 8);
  gate->release();
  for (auto& f : futures) REQUIRE(f.get().outcome == Outcome::InSlo);
  REQUIRE(log->passes.size() == 2);  // batches of 2 would have taken 5 passes
  CHECK(log->passes[0].size() + log->passes[1].size() == 9);
  CHECK(log->passes[1].size() <= 8);
  CHECK_THROWS_WITH(exec.retune(17, 0ms), Catch::Contains("over the model's limit of 16"));
  CHECK_THROWS_WITH(exec.retune(0, 0ms), Catch::Contains("batch of 0"));
  CHECK_THROWS_WITH(exec.retune(4, -1ms), Catch::Contains("negative batch timeout"));
  CHECK(exec.policy().max_batch == 8);  // a refused retune changes nothing
}

TEST_CASE("a lone item waits for the timeout, then runs alone", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  BatchingExecutor exec(FakeModel(2, 8, log), BatchPolicy{8, 30ms});
  const Result r = exec.submit(item_of(2, 1.0f)).get();
  CHECK(r.outcome == Outcome::InSlo);
  CHECK(r.batch == 1);
  CHECK(r.latency >= 30ms);
  CHECK(std::ranges::equal(output_of(r), std::vector<float>{3.0f, 3.0f}));
}

TEST_CASE("bad input is rejected with a reason naming the tensor", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  BatchingExecutor exec(FakeModel(4, 8, log), BatchPolicy{8, 0ms});
  const Result r = exec.submit(item_of(3, 1.0f)).get();
  CHECK(r.outcome == Outcome::Rejected);
  CHECK(r.reason == RejectReason::BadInput);
  CHECK(r.detail == "input 'input' has shape [3], the model takes [4]");
  CHECK(r.outputs.empty());
  CHECK_THROWS_WITH(BatchingExecutor(FakeModel(4, 8, log), BatchPolicy{9, 0ms}),
                    "executor: batch of 9 over the model's limit of 8");
  CHECK_THROWS_WITH(BatchingExecutor(FakeModel(4, 8, log), BatchPolicy{0, 0ms}),
                    "executor: batch of 0 over the model's limit of 8");
}

TEST_CASE("expired items are dropped, or served late when the policy keeps them", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  {
    BatchingExecutor exec(FakeModel(1, 8, log), BatchPolicy{8, 0ms});
    const Result r = exec.submit(item_of(1, 1.0f, -1ms)).get();
    CHECK(r.reason == RejectReason::Expired);
  }
  BatchPolicy keep{8, 0ms};
  keep.drop_expired = false;
  BatchingExecutor exec(FakeModel(1, 8, log), keep);
  const Result r = exec.submit(item_of(1, 1.0f, -1ms)).get();
  CHECK(r.outcome == Outcome::Late);
  CHECK(std::ranges::equal(output_of(r), std::vector<float>{3.0f}));
}

TEST_CASE("a model that throws rejects its pass, and the executor goes on", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  FakeModel model(1, 8, log);
  model.throw_on_pass = true;
  BatchingExecutor exec(std::move(model), BatchPolicy{8, 0ms});
  for (int i = 0; i < 3; ++i) {
    const Result r = exec.submit(item_of(1, 1.0f)).get();
    CHECK(r.reason == RejectReason::ModelError);
    CHECK(r.detail == "fake model failure");
  }
  CHECK(exec.counts().rejected == 3);
}

TEST_CASE("a full queue rejects, naming its capacity", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  FakeModel model(1, 1, log);
  auto gate = std::make_shared<test::Gate>();
  model.gate = gate;
  BatchPolicy p{1, 0ms};
  p.capacity = 3;
  BatchingExecutor exec(std::move(model), p);
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(exec.submit(item_of(1, 1.0f)));
  gate->release();
  int full = 0;
  for (auto& f : futures) {
    const Result r = f.get();
    if (r.reason == RejectReason::QueueFull) {
      ++full;
      CHECK(r.detail == "3 items queued");
    }
  }
  CHECK(full >= 6);  // one pass in flight at most, three queued
  const Counts c = exec.counts();
  CHECK(c.submitted == 10);
  CHECK(c.finished() == 10);
}

TEST_CASE("shutdown with work in flight: every item gets exactly one outcome", "[exec]") {
  for (Drain drain : {Drain::Finish, Drain::Reject}) {
    auto log = std::make_shared<test::PassLog>();
    BatchingExecutor exec(FakeModel(2, 4, log, 2ms), BatchPolicy{4, 1ms});
    std::vector<std::future<Result>> futures;
    for (int i = 0; i < 50; ++i) futures.push_back(exec.submit(item_of(2, 1.0f)));
    exec.shutdown(drain);
    const Result after = exec.submit(item_of(2, 1.0f)).get();
    CHECK(after.reason == RejectReason::Shutdown);
    int served = 0, shut = 0;
    for (auto& f : futures) {
      REQUIRE(f.wait_for(0s) == std::future_status::ready);
      const Result r = f.get();
      served += r.outcome != Outcome::Rejected;
      shut += r.reason == RejectReason::Shutdown;
    }
    CHECK(served + shut == 50);
    if (drain == Drain::Finish) CHECK(served == 50);
    if (drain == Drain::Reject) CHECK(shut > 0);
    const Counts c = exec.counts();
    CHECK(c.submitted == 51);
    CHECK(c.finished() == 51);
  }
}
