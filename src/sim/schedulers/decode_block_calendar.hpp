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
  void add(RequestId id, int64_t processed, int64_t blocks) { bucket_of(id, processed, blocks).push_back(id); }
  // Those whose token starts a block at the next step.
  const std::vector<RequestId>& due() const { return buckets_[static_cast<size_t>(step_) % buckets_.size()]; }
  void advance() { ++step_; }
  // A request that leaves, with its tokens and blocks as they stand between steps: each step
  // adds a token and the block it starts, so its bucket is still the one add computed.
  void remove(RequestId id, int64_t processed, int64_t blocks) {
    auto& bucket = bucket_of(id, processed, blocks);
    const auto at = std::find(bucket.begin(), bucket.end(), id);
    if (at == bucket.end())
      throw SimulationError("request " + std::to_string(id) + " leaves a stretch with " + std::to_string(processed) +
                            " tokens in " + std::to_string(blocks) + " KV blocks, not where its blocks were due");
    bucket.erase(at);
  }

 private:
  std::vector<RequestId>& bucket_of(RequestId id, int64_t processed, int64_t blocks) {
    const auto block_size = static_cast<int64_t>(buckets_.size());
    const int64_t wait = blocks * block_size + 1 - processed;
    if (wait < 0)
      throw SimulationError("request " + std::to_string(id) + " decodes its token " + std::to_string(processed) +
                            " holding only " + std::to_string(blocks) + " KV blocks of " + std::to_string(block_size));
    return buckets_[static_cast<size_t>((step_ + wait) % block_size)];
  }

  std::vector<std::vector<RequestId>> buckets_;
  int64_t step_ = 0;
  bool active_ = false;
};

}  // namespace infersweep::sim
