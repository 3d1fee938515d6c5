#pragma once
// Paged KV-cache accounting of one replica: how many blocks each request holds.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "infersweep/sim/request.hpp"

namespace infersweep::sim {

class KvBlockManager {
 public:
  KvBlockManager(int64_t num_blocks, size_t num_requests);

  int64_t num_blocks() const { return num_blocks_; }
  int64_t allocated() const { return allocated_; }
  int64_t free_blocks() const { return num_blocks_ - allocated_; }
  bool can_allocate(int64_t blocks) const { return free_blocks() >= blocks; }
  bool holds(RequestId id) const { return blocks_[static_cast<size_t>(id)] >= 0; }
  int64_t blocks_of(RequestId id) const;
  size_t num_holders() const { return num_holders_; }
  double usage_percent() const;

  // Over-allocation is a scheduler bug, reported as SimulationError.
  void allocate(RequestId id, int64_t blocks);
  void free(RequestId id);

 private:
  int64_t num_blocks_;
  int64_t allocated_ = 0;
  size_t num_holders_ = 0;
  std::vector<int64_t> blocks_;  // -1: request holds no entry
};

}  // namespace infersweep::sim
