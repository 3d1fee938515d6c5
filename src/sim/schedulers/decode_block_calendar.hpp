#pragma once
// A stretch's decodes by the step at which their next token starts a KV block. Every step gives
// each of them one token, so one that starts a block at step s starts its next at s +
// block_size: bucket s mod block_size holds exactly those a step adds a block for, and a step
// touches them only, not every decode.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

class DecodeBlockCalendar {
 public:
  bool active() const { return active_; }
  void start(int64_t block_size) {
    buckets_.resize(static_cast<size_t>(block_size));
    for (auto& bucket : buckets_) bucket.clear();
    step_ = 0;
    active_ = true;
  }
  void stop() { active_ = false; }
  // A request that enters the next step with `processed` tokens in its KV and `blocks` blocks:
  // its token starts a block once it is past them all, blocks * block_size + 1 - processed
  // steps from now.
  void add(RequestId id, int64_t processed, int64_t blocks) {
    const auto block_size = static_cast<int64_t>(buckets_.size());
    const int64_t wait = blocks * block_size + 1 - processed;
    if (wait < 0)
      throw SimulationError("request " + std::to_string(id) + " decodes its token " + std::to_string(processed) +
                            " holding only " + std::to_string(blocks) + " KV blocks of " + std::to_string(block_size));
    buckets_[static_cast<size_t>((step_ + wait) % block_size)].push_back(id);
  }
  // Those whose token starts a block at the next step.
  const std::vector<RequestId>& due() const { return buckets_[static_cast<size_t>(step_) % buckets_.size()]; }
  void advance() { ++step_; }
  template <class Leaves>
  void remove_if(Leaves leaves) {
    for (auto& bucket : buckets_) bucket.erase(std::remove_if(bucket.begin(), bucket.end(), leaves), bucket.end());
  }

 private:
  std::vector<std::vector<RequestId>> buckets_;
  int64_t step_ = 0;
  bool active_ = false;
};

}  // namespace infersweep::sim
