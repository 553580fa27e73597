#pragma once
// A FIFO of request indices on a growable ring buffer: no allocation per push once grown.

#include <cstdint>
#include <vector>

namespace epara::sim::detail {

class Fifo {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::uint32_t front() const { return items_[head_]; }
  std::uint32_t at(std::size_t i) const { return items_[(head_ + i) % items_.size()]; }
  void push(std::uint32_t v) {
    if (size_ == items_.size()) grow();
    items_[(head_ + size_) % items_.size()] = v;
    ++size_;
  }
  std::uint32_t pop() {
    const std::uint32_t v = items_[head_];
    head_ = (head_ + 1) % items_.size();
    --size_;
    return v;
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(items_.empty() ? 16 : items_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    items_.swap(bigger);
    head_ = 0;
  }
  std::vector<std::uint32_t> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace epara::sim::detail
