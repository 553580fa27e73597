#include <map>

#include <catch2/catch.hpp>

#include "epara/exec/multi_frame_executor.hpp"
#include "exec/fake_model.hpp"

using namespace epara;
using namespace epara::exec;
using namespace std::chrono_literals;
using test::output_of;

TEST_CASE("multi-frame passes hold one stream's frames, returned in frame order", "[exec]") {
  auto log = std::make_shared<test::PassLog>();
  test::FakeModel model(2, 8, log);
  auto gate = std::make_shared<test::Gate>();
  model.gate = gate;
  MultiFrameExecutor exec(std::move(model), 3, 0ms);
  std::mutex mutex;
  std::map<std::uint64_t, std::vector<float>> seen;  // stream -> outputs' first floats in order
  std::vector<std::future<Result>> futures;
  // Frames of streams 0..2 interleaved; frame f of stream s carries 100·s + f.
  for (int f = 0; f < 7; ++f)
    for (std::uint64_t s = 0; s < 3; ++s)
      futures.push_back(exec.submit(
          test::item_of(2, static_cast<float>(100 * s + static_cast<std::uint64_t>(f)), 10s, s),
          [&, s](const Result& r) {
            std::lock_guard lock(mutex);
            seen[s].push_back(output_of(r)[0]);
          }));
  gate->release();
  for (auto& f : futures) REQUIRE(f.get().outcome == Outcome::InSlo);
  for (const auto& pass : log->passes) {
    REQUIRE(pass.size() <= 3);
    const int stream = static_cast<int>(pass.front()) / 100;
    for (float first : pass) CHECK(static_cast<int>(first) / 100 == stream);
  }
  for (std::uint64_t s = 0; s < 3; ++s) {
    REQUIRE(seen[s].size() == 7);
    for (std::size_t f = 0; f < 7; ++f)
      CHECK(seen[s][f] == 2.0f * static_cast<float>(100 * s + f) + 1.0f);
  }
  // After the first pass (held at the gate) the queue has whole groups of 3 per stream.
  std::size_t full = 0;
  for (const auto& pass : log->passes) full += pass.size() == 3;
  CHECK(full >= 5);
}
