#pragma once
// Paged KV-cache accounting of one replica: which blocks each request holds.
//
// Two modes. Counting (the default, Vidur's): a request holds a number of blocks and nothing
// outlives it. Prefix caching (vLLM's automatic prefix caching): blocks are individual; a full
// block is identified by a hash chain over its tokens' content and every token before them;
// blocks are shared between requests with reference counts; a block nobody references stays
// cached in a free pool, from which it is reused on a hit or evicted least recently freed
// first when a fresh block is needed. In both modes allocated() counts each block once,
// however many requests share it, and free_blocks() includes the cached, unreferenced ones.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "infersweep/sim/request.hpp"
#include "infersweep/workload/workload_config.hpp"

namespace infersweep::sim {

// Per-replica prefix-cache counters. A lookup happens at each admission (first or after a
// preemption) of a request; it queries the full blocks of the tokens it may skip.
struct PrefixCacheStats {
  int64_t lookups = 0;
  int64_t queried_tokens = 0;  // tokens the lookups could have skipped (prompt less its last token)
  int64_t hit_tokens = 0;      // tokens found cached (whole blocks)
  int64_t queried_blocks = 0;  // full blocks among the queried tokens
  int64_t hit_blocks = 0;
  int64_t evictions = 0;  // cached blocks given a new content
};

class PrefixBlockPool;  // the block-level state of prefix-caching mode

class KvBlockManager {
 public:
  // Counting mode.
  KvBlockManager(int64_t num_blocks, size_t num_requests);
  // Prefix-caching mode: `requests[id].content` says what request id's tokens share (its
  // lifetime must cover the manager's).
  KvBlockManager(int64_t num_blocks, size_t num_requests, int64_t block_size,
                 const std::vector<workload::RequestSpec>* requests);
  ~KvBlockManager();
  KvBlockManager(KvBlockManager&&) noexcept;
  KvBlockManager& operator=(KvBlockManager&&) noexcept;

  bool prefix_caching() const { return pool_ != nullptr; }
  int64_t num_blocks() const { return num_blocks_; }
  // Blocks referenced by at least one request, each counted once.
  int64_t allocated() const { return allocated_; }
  int64_t free_blocks() const { return num_blocks_ - allocated_; }
  bool can_allocate(int64_t blocks) const { return free_blocks() >= blocks; }
  bool holds(RequestId id) const { return blocks_[static_cast<size_t>(id)] >= 0; }
  // Blocks in the request's block table (shared ones included).
  int64_t blocks_of(RequestId id) const {
    const int64_t held = blocks_[static_cast<size_t>(id)];
    return held < 0 ? 0 : held;
  }
  size_t num_holders() const { return num_holders_; }
  double usage_percent() const;

  // Appends `blocks` fresh blocks to the request's table; in prefix-caching mode they come
  // from the free pool, evicting the least recently freed cached blocks. Over-allocation is a
  // scheduler bug, reported as SimulationError.
  void allocate(RequestId id, int64_t blocks);
  // One block to each of `ids` (a decode step's new blocks), as allocate(id, 1) for each.
  void allocate_one_each(const std::vector<RequestId>& ids);
  // Drops the request's references; in prefix-caching mode its blocks stay cached, the last
  // block of the request first in line for eviction.
  void free(RequestId id);

  // Prefix caching; in counting mode these find nothing and do nothing.
  struct PrefixHit {
    int64_t blocks = 0;     // leading full blocks found cached
    int64_t evictable = 0;  // of those, blocks nobody references: taking them uses free blocks
  };
  // The longest run of cached blocks from the request's first token among its first
  // `max_tokens` tokens (whole blocks only). Read-only.
  PrefixHit find_cached_prefix(RequestId id, int64_t max_tokens) const;
  // Starts the table of `id` (which holds nothing) with the hit's blocks, and counts the lookup
  // in the stats as one of `query_tokens` tokens. Call it, with an empty hit if need be, at every
  // admission of a request in prefix-caching mode, so the stats see every lookup.
  void take_cached_prefix(RequestId id, const PrefixHit& hit, int64_t query_tokens);
  // The first `num_tokens` tokens of `id` are computed (or being computed in the batch now
  // formed): its full blocks among them become reusable by other requests.
  void cache_full_blocks(RequestId id, int64_t num_tokens);
  const PrefixCacheStats& prefix_stats() const { return stats_; }

 private:
  int64_t num_blocks_;
  int64_t allocated_ = 0;
  size_t num_holders_ = 0;
  std::vector<int64_t> blocks_;  // -1: request holds no entry
  std::unique_ptr<PrefixBlockPool> pool_;
  PrefixCacheStats stats_;
};

}  // namespace infersweep::sim
