#include <catch2/catch.hpp>

#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_frame_executor.hpp"
#include "epara/exec/plan_policy.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;

TEST_CASE("a plan sets the executor's batch, frames, replicas and stages", "[exec]") {
  Plan batching;
  batching.modes = {Mode::Batching};
  batching.max_batch = 6;
  batching.batch_timeout = 4ms;
  const BatchPolicy b = batch_policy(batching);
  CHECK(b.max_batch == 6);
  CHECK(b.timeout == 4ms);
  CHECK_FALSE(b.same_stream);

  Plan frames;
  frames.modes = {Mode::MultiFrame, Mode::DataParallel};
  frames.max_batch = 8;
  frames.frames_per_pass = 3;
  frames.replicas = 2;
  CHECK(batch_policy(frames).max_batch == 3);
  CHECK(batch_policy(frames).same_stream);

  auto log = std::make_shared<test::PassLog>();
  std::vector<test::FakeModel> two;
  two.emplace_back(1, 8, log);
  two.emplace_back(1, 8, log);
  DataParallelExecutor data(std::move(two), frames);
  CHECK(data.replicas() == 2);
  CHECK(data.policy().max_batch == 3);

  std::vector<test::FakeModel> one;
  one.emplace_back(1, 8, log);
  Plan pipeline = batching;
  pipeline.gpus_per_replica = 2;
  CHECK_THROWS_WITH(ModelParallelExecutor(std::move(one), pipeline),
                    "executor: the plan asks for 2 stages, 1 given");
  MultiFrameExecutor mf(test::FakeModel(1, 8, log), frames);
  CHECK(mf.policy().max_batch == 3);
  CHECK(mf.policy().same_stream);
}
