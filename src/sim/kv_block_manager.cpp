#include "infersweep/sim/kv_block_manager.hpp"

#include <string>

#include "infersweep/common/error.hpp"
#include "prefix_block_pool.hpp"

namespace infersweep::sim {

KvBlockManager::KvBlockManager(int64_t num_blocks, size_t num_requests)
    : num_blocks_(num_blocks), blocks_(num_requests, -1) {}

KvBlockManager::KvBlockManager(int64_t num_blocks, size_t num_requests, int64_t block_size,
                               const std::vector<workload::RequestSpec>* requests)
    : num_blocks_(num_blocks), blocks_(num_requests, -1) {
  if (num_blocks < 0) throw SimulationError("prefix cache: " + std::to_string(num_blocks) + " KV blocks");
  if (block_size < 1) throw SimulationError("prefix cache: block size " + std::to_string(block_size));
  if (requests == nullptr) throw SimulationError("prefix cache: no request content given");
  pool_ = std::make_unique<PrefixBlockPool>(num_blocks, num_requests, block_size, *requests);
}

KvBlockManager::~KvBlockManager() = default;
KvBlockManager::KvBlockManager(KvBlockManager&&) noexcept = default;
KvBlockManager& KvBlockManager::operator=(KvBlockManager&&) noexcept = default;

double KvBlockManager::usage_percent() const {
  return num_blocks_ > 0 ? static_cast<double>(allocated_) * 100.0 / static_cast<double>(num_blocks_) : 0.0;
}

void KvBlockManager::allocate(RequestId id, int64_t blocks) {
  if (blocks < 0 || allocated_ + blocks > num_blocks_)
    throw SimulationError("KV block over-allocation: request " + std::to_string(id) + " asked for " +
                          std::to_string(blocks) + " blocks with " + std::to_string(free_blocks()) + " free");
  // Unreferenced blocks are exactly the free queue, so the check above covers the pool too.
  if (pool_) stats_.evictions += pool_->allocate(id, blocks);
  auto& held = blocks_[static_cast<size_t>(id)];
  if (held < 0) {
    held = 0;
    ++num_holders_;
  }
  held += blocks;
  allocated_ += blocks;
}

void KvBlockManager::allocate_one_each(const std::vector<RequestId>& ids) {
  const auto count = static_cast<int64_t>(ids.size());
  // The checks and the prefix pool's bookkeeping are allocate's, one request at a time.
  if (pool_ || allocated_ + count > num_blocks_) {
    for (RequestId id : ids) allocate(id, 1);
    return;
  }
  for (RequestId id : ids) {
    auto& held = blocks_[static_cast<size_t>(id)];
    if (held < 0) {
      held = 0;
      ++num_holders_;
    }
    ++held;
  }
  allocated_ += count;
}

void KvBlockManager::free(RequestId id) {
  auto& held = blocks_[static_cast<size_t>(id)];
  if (held < 0) return;
  allocated_ -= pool_ ? pool_->free(id) : held;
  held = -1;
  --num_holders_;
}

KvBlockManager::PrefixHit KvBlockManager::find_cached_prefix(RequestId id, int64_t max_tokens) const {
  if (!pool_) return {};
  return pool_->find_cached_prefix(id, max_tokens);
}

void KvBlockManager::take_cached_prefix(RequestId id, const PrefixHit& hit, int64_t query_tokens) {
  if (!pool_) return;
  if (holds(id))
    throw SimulationError("prefix cache: request " + std::to_string(id) + " looks up its prefix holding " +
                          std::to_string(blocks_of(id)) + " blocks");
  allocated_ += pool_->take_cached_prefix(id, hit);
  if (hit.blocks > 0) {
    blocks_[static_cast<size_t>(id)] = hit.blocks;
    ++num_holders_;
  }
  const int64_t block_size = pool_->block_size();
  ++stats_.lookups;
  stats_.queried_tokens += query_tokens;
  stats_.queried_blocks += query_tokens / block_size;
  stats_.hit_tokens += hit.blocks * block_size;
  stats_.hit_blocks += hit.blocks;
}

void KvBlockManager::cache_full_blocks(RequestId id, int64_t num_tokens) {
  if (pool_) pool_->cache_full_blocks(id, num_tokens);
}

}  // namespace infersweep::sim
