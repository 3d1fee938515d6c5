#include "infersweep/sim/kv_block_manager.hpp"

#include <string>

#include "infersweep/common/error.hpp"

namespace infersweep::sim {

// Block-level state of prefix-caching mode.
class PrefixBlockPool {};

KvBlockManager::KvBlockManager(int64_t num_blocks, size_t num_requests)
    : num_blocks_(num_blocks), blocks_(num_requests, -1) {}

KvBlockManager::KvBlockManager(int64_t, size_t, int64_t, const std::vector<workload::RequestSpec>*) : num_blocks_(0) {
  throw SimulationError("prefix caching is not available in this build");
}

KvBlockManager::~KvBlockManager() = default;
KvBlockManager::KvBlockManager(KvBlockManager&&) noexcept = default;
KvBlockManager& KvBlockManager::operator=(KvBlockManager&&) noexcept = default;

int64_t KvBlockManager::blocks_of(RequestId id) const {
  const int64_t b = blocks_[static_cast<size_t>(id)];
  return b < 0 ? 0 : b;
}

double KvBlockManager::usage_percent() const {
  return num_blocks_ > 0 ? static_cast<double>(allocated_) * 100.0 / static_cast<double>(num_blocks_) : 0.0;
}

void KvBlockManager::allocate(RequestId id, int64_t blocks) {
  if (blocks < 0 || allocated_ + blocks > num_blocks_)
    throw SimulationError("KV block over-allocation: request " + std::to_string(id) + " asked for " +
                          std::to_string(blocks) + " blocks with " + std::to_string(free_blocks()) + " free");
  auto& held = blocks_[static_cast<size_t>(id)];
  if (held < 0) {
    held = 0;
    ++num_holders_;
  }
  held += blocks;
  allocated_ += blocks;
}

void KvBlockManager::free(RequestId id) {
  auto& held = blocks_[static_cast<size_t>(id)];
  if (held < 0) return;
  allocated_ -= held;
  held = -1;
  --num_holders_;
}

KvBlockManager::PrefixHit KvBlockManager::find_cached_prefix(RequestId, int64_t) const { return {}; }

void KvBlockManager::take_cached_prefix(RequestId, const PrefixHit&, int64_t) {}

void KvBlockManager::cache_full_blocks(RequestId, int64_t) {}

}  // namespace infersweep::sim
