#include <algorithm>
#include <catch2/catch.hpp>

#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/reference/cpu_dense_chain.hpp"
#include "exec/fake_model.hpp"
#include "exec/matches_reference.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::output_of;

TEST_CASE("a chain split into stages computes what the whole chain does", "[exec]") {
  const DenseChainWeights w = make_dense_chain({12, 24, 24, 24, 6}, 9);
  CpuDenseChain whole(w, 8);
  for (std::size_t k : {1u, 2u, 3u, 4u}) {
    std::vector<CpuDenseChain> stages;
    for (DenseChainWeights& s : split_stages(w, k)) stages.emplace_back(std::move(s), 8);
    ModelParallelExecutor exec(std::move(stages), BatchPolicy{8, 1ms});
    REQUIRE(exec.stages() == k);
    test::expect_matches_reference(exec, whole, 30, static_cast<unsigned>(k));
  }
}

TEST_CASE("stages run in a pipeline: two passes are in flight at once", "[exec]") {
  auto log = std::make_shared<test::PassLog>();  // shared: counts stages busy at once
  std::vector<test::FakeModel> stages;
  for (int i = 0; i < 3; ++i) stages.emplace_back(1, 1, log, 3ms);
  ModelParallelExecutor exec(std::move(stages), BatchPolicy{1, 0ms});
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 12; ++i) futures.push_back(exec.submit(test::item_of(1, 1.0f)));
  for (auto& f : futures)
    CHECK(std::ranges::equal(output_of(f.get()), std::vector<float>{15.0f}));  // 2(2(2+1)+1)+1
  CHECK(log->max_busy >= 2);
  CHECK(log->passes.size() == 36);
}

TEST_CASE("model-parallel: mismatched stages and errors mid-pipeline", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  {
    std::vector<test::FakeModel> stages;
    stages.emplace_back(4, 8, log);
    stages.emplace_back(5, 8, log);
    CHECK_THROWS_WITH(ModelParallelExecutor(std::move(stages), BatchPolicy{8, 0ms}),
                      "model-parallel executor: stage 0 outputs 'output' FP32 [4] but stage 1 "
                      "takes 'input' FP32 [5]");
  }
  std::vector<test::FakeModel> stages;
  stages.emplace_back(1, 8, log);
  stages.emplace_back(1, 8, log);
  stages.back().throw_on_pass = true;
  ModelParallelExecutor exec(std::move(stages), BatchPolicy{8, 0ms});
  std::vector<std::future<Result>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(exec.submit(test::item_of(1, 1.0f)));
  futures.push_back(exec.submit(test::item_of(2, 1.0f)));
  for (int i = 0; i < 10; ++i)
    CHECK(futures[static_cast<std::size_t>(i)].get().reason == RejectReason::ModelError);
  CHECK(futures.back().get().reason == RejectReason::BadInput);
  exec.shutdown(Drain::Reject);
  CHECK(exec.counts().rejected == 11);
}
