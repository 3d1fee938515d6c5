#pragma once
// Remembers recent batch timings of one predictor by their prediction key. Decode iterations
// repeat a few shapes thousands of times (the batch size and the mean context, rounded to the
// KV granularity), and composing a timing costs a dozen operator lookups. A new key (a batch
// with a prompt chunk, say) still reuses the token operators of its token count, most often the
// chunk size. One per simulation: it is not shared between threads.
#include <cstdint>
#include <vector>

#include "infersweep/predict/execution_time_predictor.hpp"

namespace infersweep::predict {

class BatchTimingMemo {
 public:
  explicit BatchTimingMemo(const ExecutionTimePredictor& predictor);

  // The predictor's timing of `shape`: equal to predictor.predict(shape), bit for bit.
  BatchTiming operator()(const BatchShape& shape);

  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  struct Slot {
    PredictionKey key;
    BatchTiming timing;
    bool filled = false;
  };
  static constexpr size_t kSlots = 2048;  // a power of two
  // The token operators of recent token counts, direct-mapped by the count's low bits.
  static constexpr size_t kTokenSlots = 64;  // a power of two

  const ExecutionTimePredictor* predictor_;
  std::vector<Slot> slots_;
  std::vector<TokenOpTimes> token_slots_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace infersweep::predict
