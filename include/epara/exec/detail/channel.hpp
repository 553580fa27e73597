#pragma once
// A bounded, closable hand-off between two threads (pipeline stages). Its slots are allocated
// with it, so a hand-off never allocates (an executor out of memory still answers its items).

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

namespace epara::exec::detail {

template <class T>
class Channel {
 public:
  explicit Channel(std::size_t capacity) : slots_(capacity) {}

  /// Blocks while full. Pushing into a closed channel is a programming error: stages close
  /// their output only after their last push.
  void push(T value) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return size_ < slots_.size(); });
    slots_[(front_ + size_++) % slots_.size()] = std::move(value);
    not_empty_.notify_one();
  }

  /// Blocks for the next value; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || size_ > 0; });
    if (size_ == 0) return std::nullopt;
    std::optional<T> value = std::move(slots_[front_]);
    slots_[front_].reset();
    front_ = (front_ + 1) % slots_.size();
    --size_;
    not_full_.notify_one();
    return value;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::vector<std::optional<T>> slots_;  // a ring: size_ values from front_ on
  std::size_t front_ = 0, size_ = 0;
  bool closed_ = false;
};

}  // namespace epara::exec::detail
