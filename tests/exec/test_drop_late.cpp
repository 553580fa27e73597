#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>

#include "epara/exec/batching_executor.hpp"
#include "epara/exec/pass_times.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::FakeModel;
using test::item_of;

TEST_CASE("an executor leaves out of a pass the items it would finish late", "[exec]") {
  // As the simulator does: an item not yet past its deadline, but that the pass it would join
  // finishes after it, is rejected before the pass (would-be-late) instead of served late.
  auto log = std::make_shared<test::PassLog>();
  BatchingExecutor exec(FakeModel(1, 4, log, 150ms), BatchPolicy{4, 0ms});
  REQUIRE(exec.submit(item_of(1, 1.0f, 10s)).get().outcome == Outcome::InSlo);  // measures 150 ms
  auto blocker = exec.submit(item_of(1, 2.0f, 10s));                            // runs ~150 ms
  std::this_thread::sleep_for(20ms);
  auto tight = exec.submit(item_of(1, 3.0f, 250ms));  // a pass of 2 after the blocker: ~300 ms
  auto loose = exec.submit(item_of(1, 4.0f, 10s));
  CHECK(blocker.get().outcome == Outcome::InSlo);
  const Result r = tight.get();
  CHECK(r.outcome == Outcome::Rejected);
  CHECK(r.reason == RejectReason::WouldBeLate);
  CHECK_THAT(r.detail, Catch::StartsWith("a pass of 2 takes "));
  CHECK(loose.get().outcome == Outcome::InSlo);
  CHECK(exec.counts().finished() == 4);
}

TEST_CASE("a pass time measured in a slow spell does not lock a service out", "[exec]") {
  // One pass held 200 ms (a device taken by another task, a busy core) makes the measured time
  // say that no 50 ms item can make it. Once the executor has been idle for as long as that
  // time, a lone item runs anyway and its pass shows the time to be wrong; each such pass
  // brings the estimate down (smoothed over ~4 passes), so within about a second the items are
  // served again. Without it every later item was rejected would-be-late, no pass ran, and the
  // estimate never changed.
  auto log = std::make_shared<test::PassLog>();
  auto gate = std::make_shared<test::Gate>();
  FakeModel model(1, 4, log);
  model.gate = gate;
  BatchingExecutor exec(std::move(model), BatchPolicy{4, 0ms});
  auto slow = exec.submit(item_of(1, 1.0f, 10s));
  std::this_thread::sleep_for(200ms);
  gate->release();
  REQUIRE(slow.get().outcome == Outcome::InSlo);
  std::vector<Outcome> outcomes;  // an item every 10 ms for 2 s
  for (int i = 0; i < 200; ++i) {
    outcomes.push_back(exec.submit(item_of(1, 2.0f, 50ms)).get().outcome);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(std::count(outcomes.end() - 50, outcomes.end(), Outcome::InSlo) == 50);
  CHECK(std::count(outcomes.begin(), outcomes.end(), Outcome::Rejected) > 0);  // until then
}

TEST_CASE("with no pass measured, or drop_expired off, nothing is left out early", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  {
    BatchingExecutor exec(FakeModel(1, 4, log, 50ms), BatchPolicy{4, 0ms});
    // The first pass has nothing to go by: it runs, late.
    CHECK(exec.submit(item_of(1, 1.0f, 30ms)).get().outcome == Outcome::Late);
  }
  BatchPolicy keep{4, 0ms};
  keep.drop_expired = false;
  BatchingExecutor exec(FakeModel(1, 4, log, 50ms), keep);
  REQUIRE(exec.submit(item_of(1, 1.0f, 10s)).get().outcome == Outcome::InSlo);
  CHECK(exec.submit(item_of(1, 2.0f, 10ms)).get().outcome == Outcome::Late);
}

TEST_CASE("pass times predict a measured size, else bound it from the sizes measured", "[exec]") {
  PassTimes times(8);
  CHECK_FALSE(times.predict(3));
  times.record(4, 40ms);
  CHECK(times.predict(4) == 40ms);
  CHECK(times.predict(2) == 40ms);  // a larger batch's time bounds a smaller one's
  CHECK(times.predict(8) == 80ms);  // scaled up per item from the largest smaller size
  times.record(4, 80ms);            // smoothed: 3/4 old + 1/4 new
  CHECK(times.predict(4) == 50ms);
  CHECK_FALSE(times.predict(0));
  CHECK_FALSE(times.predict(9));
  times.record(9, 1s);  // out of range: ignored
  times.record(2, -1ms);
  CHECK(times.predict(2) == 50ms);

  // Over random measurements: a measured size predicts its own (smoothed) time; an unmeasured
  // one is bounded by its neighbours as stated.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    PassTimes t(16);
    std::vector<std::int64_t> last(17, 0);
    for (int k = 0; k < 10; ++k) {
      const auto b = std::uniform_int_distribution<std::size_t>(1, 16)(rng);
      const auto ns = std::uniform_int_distribution<std::int64_t>(1, 1'000'000)(rng);
      t.record(b, Duration{ns});
      last[b] = last[b] == 0 ? ns : (3 * last[b] + ns) / 4;
    }
    for (std::size_t b = 1; b <= 16; ++b) {
      std::int64_t want = 0;
      for (std::size_t up = b; up <= 16 && want == 0; ++up) want = last[up];
      for (std::size_t down = b - 1; down >= 1 && want == 0; --down)
        if (last[down] > 0)
          want = last[down] * static_cast<std::int64_t>(b) / static_cast<std::int64_t>(down);
      CHECK(t.predict(b) == Duration{want});
    }
  }
}
