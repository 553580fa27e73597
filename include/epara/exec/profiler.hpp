#pragma once
// Measures a model's pass latency against batch size on the device it is bound to: the points
// of a Profile curve (latency by batch) that the allocator fits and the simulator runs on.

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

#include "epara/error.hpp"
#include "epara/exec/model.hpp"
#include "epara/exec/model_parallel_executor.hpp"
#include "epara/exec/random_inputs.hpp"

namespace epara::exec {

struct MeasuredPoint {
  std::size_t batch = 0;
  Duration median{}, p90{}, fastest{}, slowest{};
};

struct ProfileSettings {
  std::vector<std::size_t> batches{1, 2, 4, 8, 16, 32};
  int warmup = 3;       ///< passes run and not timed, per batch size
  int repeats = 15;     ///< timed passes per batch size; the median is the point
  RandomInputs inputs;  ///< what the items hold
};

namespace detail {
inline MeasuredPoint summarize(std::size_t batch, std::vector<Duration> times) {
  std::sort(times.begin(), times.end());
  return {batch, times[times.size() / 2], times[(times.size() - 1) * 9 / 10], times.front(),
          times.back()};
}
inline void expect_settings(const ProfileSettings& s, std::size_t max_batch) {
  EPARA_EXPECTS(!s.batches.empty(), "profile: no batch sizes");
  EPARA_EXPECTS(s.warmup >= 0 && s.repeats >= 1, "profile: repeats must be >= 1");
  for (std::size_t b : s.batches)
    EPARA_EXPECTS(b >= 1 && b <= max_batch, "profile: batch " + std::to_string(b) + " outside 1.." +
                                                std::to_string(max_batch));
}
}  // namespace detail

/// One model on one device: the latency of `forward` for each batch size.
template <Model M>
std::vector<MeasuredPoint> measure_model(M& model, const ProfileSettings& s) {
  detail::expect_settings(s, model.max_batch());
  std::vector<MeasuredPoint> points;
  for (std::size_t b : s.batches) {
    const auto items = random_items(model.inputs(), b, s.inputs, static_cast<unsigned>(b));
    const auto pass = [&] {
      Batch batch = Batch::over(items, model.outputs().size());
      model.forward(batch);
    };
    for (int i = 0; i < s.warmup; ++i) pass();
    std::vector<Duration> times;
    for (int i = 0; i < s.repeats; ++i) {
      const Time start = now();
      pass();
      times.push_back(now() - start);
    }
    points.push_back(detail::summarize(b, std::move(times)));
  }
  return points;
}

/// A model split into stages (one per device): the latency of one pass of each batch size
/// through a ModelParallelExecutor, submission to last result, activation copies included.
/// `make_stages()` returns the stages afresh for each batch size (the executor owns them).
template <class MakeStages>
std::vector<MeasuredPoint> measure_pipeline(MakeStages make_stages, const ProfileSettings& s) {
  detail::expect_settings(s, std::numeric_limits<std::size_t>::max());
  std::vector<MeasuredPoint> points;
  for (std::size_t b : s.batches) {
    // A pass forms when b items are queued: the long timeout never fires in practice.
    ModelParallelExecutor exec(make_stages(), BatchPolicy{b, std::chrono::seconds(10)});
    const auto items = random_items(exec.inputs(), b, s.inputs, static_cast<unsigned>(b));
    std::vector<Duration> times;
    for (int i = -s.warmup; i < s.repeats; ++i) {
      std::vector<std::future<Result>> futures;
      futures.reserve(items.size());
      const Time start = now();
      for (const auto& item : items)
        futures.push_back(exec.submit({item, start + std::chrono::hours(1), 0}));
      for (auto& f : futures) {
        const Result r = f.get();
        EPARA_EXPECTS(r.outcome != Outcome::Rejected, "profile: a pass failed: " + r.detail);
      }
      if (i >= 0) times.push_back(now() - start);
    }
    points.push_back(detail::summarize(b, std::move(times)));
  }
  return points;
}

}  // namespace epara::exec
