#pragma once
// The event queue: a binary heap of small plain events ordered by (time, insertion sequence),
// so equal times pop in the order they were scheduled — deterministic, and no allocation once
// the heap's storage has grown.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "epara/units.hpp"

namespace epara::sim::detail {

enum class EventKind : std::uint8_t {
  Arrival,       // a: source
  StreamItem,    // a: stream
  TraceArrival,  // a: trace row
  Deliver,       // a: request, b: server
  Timer,         // a: instance, b: timer generation
  PassEnd,       // a: pass
  InstanceFree,  // a: instance
  SyncTick,      // a: server
  SyncDeliver,   // a: message slot
  AckDeliver,    // a: message slot
  Replan,
  FailureKnown,  // a failure's detection delay has passed
  Fault,         // a: fault index
  LoadDone,      // a: instance
  StreamOffer,   // a: stream, b: position of the target in its proposal
  StreamAnswer,  // a: stream
};

struct Event {
  Time at{};
  std::uint64_t sequence = 0;
  EventKind kind = EventKind::Arrival;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

class EventQueue {
 public:
  void reserve(std::size_t n) { heap_.reserve(n); }
  void push(Time at, EventKind kind, std::uint32_t a, std::uint32_t b) {
    heap_.push_back({at, next_++, kind, a, b});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Event e = heap_.back();
    heap_.pop_back();
    return e;
  }
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  static bool later(const Event& x, const Event& y) {
    return x.at != y.at ? x.at > y.at : x.sequence > y.sequence;
  }
  std::vector<Event> heap_;
  std::uint64_t next_ = 0;
};

}  // namespace epara::sim::detail
