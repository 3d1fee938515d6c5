#pragma once
// The block-level state of the KV manager's prefix-caching mode, after vLLM V1's block pool:
// every block has a reference count and, once full and computed, the hash of its content. Blocks
// nobody references wait in a free queue, least recently freed at its head; fresh blocks are
// taken from the head, dropping whatever a cached one held. A cached block found by a later
// request is taken out of the queue (or, if referenced, shared).
#include <cstdint>
#include <vector>

#include "infersweep/sim/block_hash.hpp"
#include "infersweep/sim/block_hash_index.hpp"
#include "infersweep/sim/kv_block_manager.hpp"

namespace infersweep::sim {

class PrefixBlockPool {
 public:
  PrefixBlockPool(int64_t num_blocks, size_t num_requests, int64_t block_size,
                  const std::vector<workload::RequestSpec>& requests);

  // Appends `count` blocks from the head of the free queue to the table of `id`; the caller has
  // checked that the queue holds them. Returns the cached blocks evicted on the way.
  int64_t allocate(RequestId id, int64_t count);
  // Drops the references of `id`, its last block first, and forgets its table and hashes.
  // Returns how many blocks nobody references any more.
  int64_t free(RequestId id);
  KvBlockManager::PrefixHit find_cached_prefix(RequestId id, int64_t max_tokens) const;
  // Starts the empty table of `id` with the hit's blocks. Returns how many of them nobody
  // referenced before.
  int64_t take_cached_prefix(RequestId id, const KvBlockManager::PrefixHit& hit);
  void cache_full_blocks(RequestId id, int64_t num_tokens);
  int64_t block_size() const { return block_size_; }

 private:
  static constexpr int32_t kNone = -1;

  // The blocks and hashes of a request holding blocks; reused by the next one once it is freed.
  struct Table {
    std::vector<int64_t> blocks;
    std::vector<uint64_t> hashes;  // of its first full blocks, as far as needed so far
    BlockHashChain chain;          // yields the following hashes
    int64_t num_cached = 0;        // leading blocks whose hash is known to the pool
  };

  // The latest lookup, kept so that the admission that usually follows it neither hashes nor
  // probes the index again. A request's hashes never change, so they are reused for as long as
  // the same request is looked up; the blocks found only while `version` is the pool's.
  struct Lookup {
    RequestId id = -1;
    std::vector<uint64_t> hashes;  // of its first full blocks, as far as hashed so far
    BlockHashChain chain;          // yields the following hashes
    int64_t max_blocks = -1;       // the limit the hit below was found under
    uint64_t version = 0;
    KvBlockManager::PrefixHit hit;
    std::vector<int64_t> blocks;  // the hit's blocks, in order
  };

  // Inline: the scheduler asks to cache blocks of every running request at every step.
  Table& table_of(RequestId id) {
    const int32_t t = table_of_[static_cast<size_t>(id)];
    if (t < 0) throw_no_table(id);
    return tables_[static_cast<size_t>(t)];
  }
  [[noreturn]] static void throw_no_table(RequestId id);
  Table& start_table(RequestId id);
  uint64_t hash_of(Table& table, int64_t block);
  const workload::TokenContent& content_of(RequestId id) const;
  // Everything the pool keeps about one block, together: the hot paths touch several fields of
  // a block at a time, in blocks scattered over the pool.
  struct BlockState {
    uint64_t hash = 0;     // of its content, while cached
    int32_t prev = kNone;  // neighbours in the free queue
    int32_t next = kNone;
    int32_t refs = 0;
    bool cached = false;  // full, computed, and the pool's copy of the content with `hash`
  };

  BlockState& state(int64_t block) { return blocks_[static_cast<size_t>(block)]; }
  const BlockState& state(int64_t block) const { return blocks_[static_cast<size_t>(block)]; }
  void uncache(int64_t block);

  // The free queue: a doubly linked list over block indices, head evicted first.
  void push_back_free(int64_t block);
  int64_t pop_front_free();
  void unlink_free(int64_t block);

  int64_t block_size_;
  const std::vector<workload::RequestSpec>& requests_;
  std::vector<BlockState> blocks_;
  int32_t free_head_ = kNone;
  int32_t free_tail_ = kNone;
  BlockHashIndex cached_blocks_;   // hash -> block
  std::vector<int32_t> table_of_;  // request -> index in tables_, or -1
  std::vector<Table> tables_;
  std::vector<int32_t> spare_tables_;
  // Changes whenever what a lookup finds may change: a block cached or evicted, or a cached
  // block's reference count leaving or reaching zero.
  uint64_t version_ = 0;
  mutable Lookup lookup_;  // a memo: lookups stay read-only to callers
};

}  // namespace infersweep::sim
