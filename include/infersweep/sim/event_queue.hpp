#pragma once
// The future-event set. Events are ordered by (time, sequence number): among events at the
// same time, the one created first fires first. This is the order Vidur's heap produces in
// practice, and it makes a run independent of the heap implementation.
#include <cstdint>
#include <queue>
#include <vector>

namespace infersweep::sim {

enum class EventType : uint8_t {
  request_arrival,
  global_schedule,
  replica_schedule,
  batch_stage_arrival,
  replica_stage_schedule,
  batch_stage_end,
  batch_end,
  kv_transfer_progress,  // subject: the transfer network's version when it was foreseen
  kv_arrival,            // subject: the request whose KV reached the decode replica
};

struct Event {
  double time = 0;
  uint64_t sequence = 0;
  EventType type = EventType::request_arrival;
  int32_t replica = 0;
  int32_t stage = 0;
  int64_t subject = 0;  // request id, batch id or version, by type
};

class EventQueue {
 public:
  void push(double time, EventType type, int32_t replica = 0, int32_t stage = 0, int64_t subject = 0) {
    heap_.push(Event{time, next_sequence_++, type, replica, stage, subject});
  }
  // An event whose sequence number was reserved when it was created (reserve_sequences).
  void push(const Event& e) { heap_.push(e); }
  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.top(); }
  Event pop() {
    Event e = heap_.top();
    heap_.pop();
    return e;
  }
  size_t size() const { return heap_.size(); }
  // Reserve sequence numbers for events that live outside the heap (pre-sorted arrivals).
  uint64_t reserve_sequences(uint64_t count) {
    const uint64_t first = next_sequence_;
    next_sequence_ += count;
    return first;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace infersweep::sim
