#pragma once
// A model for executor tests: out = 2·in + 1 per float, a pass of n items takes `pass_time`,
// every pass is logged (sizes, first floats), and it can be told to throw or to wait on a gate.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include "epara/exec/batch.hpp"
#include "epara/exec/item.hpp"
#include "epara/units.hpp"

namespace epara::test {

struct PassLog {
  std::mutex mutex;
  std::vector<std::vector<float>> passes;  ///< first float of every item, per pass
  std::atomic<int> busy{0}, max_busy{0};   ///< passes running at once (across models sharing it)
};

/// Blocks passes until opened.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
  }
};

class FakeModel {
 public:
  FakeModel(std::size_t size, std::size_t max_batch, std::shared_ptr<PassLog> log,
            Duration pass_time = Duration::zero())
      : size_(size),
        max_batch_(max_batch),
        log_(std::move(log)),
        pass_time_(pass_time),
        inputs_{exec::fp32_vector("input", size)},
        outputs_{exec::fp32_vector("output", size)} {}

  std::span<const exec::TensorSpec> inputs() const { return inputs_; }
  std::span<const exec::TensorSpec> outputs() const { return outputs_; }
  std::size_t max_batch() const { return max_batch_; }
  Bytes memory() const { return Bytes{static_cast<std::int64_t>(size_)}; }

  void forward(exec::Batch& batch) {
    exec::forward_packed(batch, size_, outputs_[0].shape,
                         [this](auto in, auto out, std::size_t n) { run(in, out, n); });
  }

  bool throw_on_pass = false;
  std::shared_ptr<Gate> gate;

 private:
  void run(std::span<const float> in, std::span<float> out, std::size_t n) {
    const int now_busy = ++log_->busy;
    for (int seen = log_->max_busy;
         now_busy > seen && !log_->max_busy.compare_exchange_weak(seen, now_busy);) {
    }
    if (gate) gate->wait();
    if (pass_time_ > Duration::zero()) std::this_thread::sleep_for(pass_time_);
    {
      std::lock_guard lock(log_->mutex);
      std::vector<float> firsts;
      for (std::size_t i = 0; i < n; ++i) firsts.push_back(in[i * size_]);
      log_->passes.push_back(std::move(firsts));
    }
    --log_->busy;
    if (throw_on_pass) throw std::runtime_error("fake model failure");
    for (std::size_t i = 0; i < n * size_; ++i) out[i] = 2.0f * in[i] + 1.0f;
  }

  std::size_t size_, max_batch_;
  std::shared_ptr<PassLog> log_;
  Duration pass_time_;
  std::vector<exec::TensorSpec> inputs_, outputs_;
};

/// An item of `size` floats all equal to `value`, due `in` from now.
inline exec::Item item_of(std::size_t size, float value, Duration in = std::chrono::seconds(10),
                          std::uint64_t stream = 0) {
  return {{exec::Tensor::of(std::vector<float>(size, value))}, exec::now() + in, stream};
}

/// An FP32 result's one output (empty when rejected).
inline std::span<const float> output_of(const exec::Result& r) {
  return r.outputs.empty() ? std::span<const float>{} : r.outputs.front().values<float>();
}

}  // namespace epara::test
