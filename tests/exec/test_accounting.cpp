// Property: whatever is submitted — good, malformed, expired — and however the executor is
// shut down, every item gets exactly one Result and the counts add up.
#include <random>

#include <catch2/catch.hpp>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/data_parallel_executor.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/multi_frame_executor.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;

namespace {
template <class Executor>
void hammer(Executor& exec, std::mt19937& rng) {
  std::uniform_int_distribution<int> kind(0, 9), stream(0, 3);
  std::vector<std::future<Result>> futures;
  const int n = std::uniform_int_distribution<int>(1, 200)(rng);
  for (int i = 0; i < n; ++i) {
    const int k = kind(rng);
    const std::size_t size = k == 0 ? 3 : 2;                    // 10%: wrong size
    const Duration due = k == 1 ? -1ms : k == 2 ? 200us : 10s;  // expired, tight, loose
    futures.push_back(
        exec.submit(test::item_of(size, 1.0f, due, static_cast<std::uint64_t>(stream(rng)))));
  }
  exec.shutdown(rng() % 2 ? Drain::Finish : Drain::Reject);
  std::uint64_t in_slo = 0, late = 0, rejected = 0;
  for (auto& f : futures) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    const Result r = f.get();
    (r.outcome == Outcome::InSlo ? in_slo : r.outcome == Outcome::Late ? late : rejected) += 1;
    REQUIRE((r.outcome == Outcome::Rejected) == r.outputs.empty());
    REQUIRE((r.outcome == Outcome::Rejected) == (r.reason != RejectReason::None));
  }
  const Counts c = exec.counts();
  REQUIRE(c.submitted == futures.size());
  REQUIRE(c.in_slo == in_slo);
  REQUIRE(c.late == late);
  REQUIRE(c.rejected == rejected);
}

std::vector<test::FakeModel> models(std::size_t n, std::shared_ptr<test::PassLog> log) {
  std::vector<test::FakeModel> v;
  for (std::size_t i = 0; i < n; ++i) v.emplace_back(2, 8, log, 100us);
  return v;
}
}  // namespace

TEST_CASE("every executor accounts for every item, on random workloads", "[exec][property]") {
  std::mt19937 rng(2024);
  auto log = std::make_shared<test::PassLog>();
  for (int round = 0; round < 8; ++round) {
    const BatchPolicy p{std::size_t{1} + rng() % 8, std::chrono::microseconds(rng() % 500)};
    BatchingExecutor batching(test::FakeModel(2, 8, log, 100us), p);
    hammer(batching, rng);
    MultiFrameExecutor frames(test::FakeModel(2, 8, log, 100us), p.max_batch, p.timeout);
    hammer(frames, rng);
    DataParallelExecutor data(models(1 + rng() % 3, log), p);
    hammer(data, rng);
    ModelParallelExecutor pipeline(models(1 + rng() % 3, log), p);
    hammer(pipeline, rng);
  }
}
