#include "prefix_block_pool.hpp"

#include <limits>
#include <string>

#include "infersweep/common/error.hpp"

namespace infersweep::sim {

PrefixBlockPool::PrefixBlockPool(int64_t num_blocks, size_t num_requests, int64_t block_size,
                                 const std::vector<workload::RequestSpec>& requests)
    : block_size_(block_size), requests_(requests), cached_blocks_(num_blocks), table_of_(num_requests, -1) {
  // Block indices are kept in 32 bits (the free queue's links).
  if (num_blocks > std::numeric_limits<int32_t>::max())
    throw SimulationError("prefix cache: " + std::to_string(num_blocks) + " KV blocks, more than " +
                          std::to_string(std::numeric_limits<int32_t>::max()) + " are not supported");
  blocks_.resize(static_cast<size_t>(num_blocks));
  for (int64_t b = 0; b < num_blocks; ++b) push_back_free(b);
}

const workload::TokenContent& PrefixBlockPool::content_of(RequestId id) const {
  if (id < 0 || static_cast<size_t>(id) >= requests_.size())
    throw SimulationError("prefix cache: request " + std::to_string(id) + " is not among the " +
                          std::to_string(requests_.size()) + " requests whose content it knows");
  return requests_[static_cast<size_t>(id)].content;
}

void PrefixBlockPool::throw_no_table(RequestId id) {
  throw SimulationError("prefix cache: request " + std::to_string(id) + " holds no blocks");
}

PrefixBlockPool::Table& PrefixBlockPool::start_table(RequestId id) {
  const auto& content = content_of(id);
  int32_t t;
  if (!spare_tables_.empty()) {
    t = spare_tables_.back();
    spare_tables_.pop_back();
  } else {
    t = static_cast<int32_t>(tables_.size());
    tables_.emplace_back();
  }
  table_of_[static_cast<size_t>(id)] = t;
  Table& table = tables_[static_cast<size_t>(t)];
  if (lookup_.id == id) {  // its hashes so far come from the lookup
    table.hashes.swap(lookup_.hashes);
    table.chain = lookup_.chain;
    lookup_.id = -1;
  } else {
    table.chain = BlockHashChain(content, id, block_size_);
  }
  return table;
}

uint64_t PrefixBlockPool::hash_of(Table& table, int64_t block) {
  while (static_cast<int64_t>(table.hashes.size()) <= block) table.hashes.push_back(table.chain.next());
  return table.hashes[static_cast<size_t>(block)];
}

void PrefixBlockPool::uncache(int64_t block) {
  BlockState& b = state(block);
  cached_blocks_.erase(b.hash);
  b.cached = false;
  ++version_;
}

void PrefixBlockPool::push_back_free(int64_t block) {
  BlockState& b = state(block);
  b.prev = free_tail_;
  b.next = kNone;
  if (free_tail_ == kNone)
    free_head_ = static_cast<int32_t>(block);
  else
    state(free_tail_).next = static_cast<int32_t>(block);
  free_tail_ = static_cast<int32_t>(block);
}

void PrefixBlockPool::unlink_free(int64_t block) {
  BlockState& b = state(block);
  if (b.prev == kNone)
    free_head_ = b.next;
  else
    state(b.prev).next = b.next;
  if (b.next == kNone)
    free_tail_ = b.prev;
  else
    state(b.next).prev = b.prev;
  b.prev = b.next = kNone;
}

int64_t PrefixBlockPool::pop_front_free() {
  const int64_t block = free_head_;
  if (block == kNone) throw SimulationError("prefix cache: no free block left");
  unlink_free(block);
  return block;
}

int64_t PrefixBlockPool::allocate(RequestId id, int64_t count) {
  Table& table = table_of_[static_cast<size_t>(id)] < 0 ? start_table(id) : table_of(id);
  int64_t evicted = 0;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t block = pop_front_free();
    if (state(block).cached) {
      uncache(block);
      ++evicted;
    }
    state(block).refs = 1;
    table.blocks.push_back(block);
  }
  return evicted;
}

int64_t PrefixBlockPool::free(RequestId id) {
  const int32_t t = table_of_[static_cast<size_t>(id)];
  if (t < 0) return 0;
  Table& table = tables_[static_cast<size_t>(t)];
  int64_t released = 0;
  // Last block first into the queue: a request's tail is evicted before its head, which
  // other requests are likelier to share.
  for (auto it = table.blocks.rbegin(); it != table.blocks.rend(); ++it) {
    if (--state(*it).refs > 0) continue;
    push_back_free(*it);
    ++released;
  }
  if (released > 0) ++version_;
  table.blocks.clear();
  table.hashes.clear();
  table.num_cached = 0;
  table_of_[static_cast<size_t>(id)] = -1;
  spare_tables_.push_back(t);
  return released;
}

KvBlockManager::PrefixHit PrefixBlockPool::find_cached_prefix(RequestId id, int64_t max_tokens) const {
  const int64_t max_blocks = max_tokens > 0 ? max_tokens / block_size_ : 0;
  if (max_blocks == 0 || cached_blocks_.empty()) return {};
  Lookup& memo = lookup_;
  if (memo.id != id) {
    memo.chain = BlockHashChain(content_of(id), id, block_size_);
    memo.id = id;
    memo.hashes.clear();
    memo.max_blocks = -1;
  } else if (memo.max_blocks == max_blocks && memo.version == version_) {
    return memo.hit;
  }
  // Every queried block is hashed first: the request needs these hashes anyway once admitted
  // (its computed blocks are cached under them), and probes for hashes known up front do not
  // wait on each other's cache misses.
  while (static_cast<int64_t>(memo.hashes.size()) < max_blocks) memo.hashes.push_back(memo.chain.next());
  KvBlockManager::PrefixHit hit;
  memo.blocks.clear();
  while (hit.blocks < max_blocks) {
    const int64_t block = cached_blocks_.find(memo.hashes[static_cast<size_t>(hit.blocks)]);
    if (block == BlockHashIndex::kAbsent) break;
    memo.blocks.push_back(block);
    ++hit.blocks;
    if (state(block).refs == 0) ++hit.evictable;
  }
  memo.max_blocks = max_blocks;
  memo.version = version_;
  memo.hit = hit;
  return hit;
}

int64_t PrefixBlockPool::take_cached_prefix(RequestId id, const KvBlockManager::PrefixHit& hit) {
  if (table_of_[static_cast<size_t>(id)] >= 0)
    throw SimulationError("prefix cache: request " + std::to_string(id) + " already holds blocks");
  if (hit.blocks <= 0) return 0;
  // Usually the lookup just made found these blocks, and nothing changed since.
  const bool found =
      lookup_.id == id && lookup_.version == version_ && hit.blocks <= static_cast<int64_t>(lookup_.blocks.size());
  Table& table = start_table(id);
  int64_t revived = 0;
  for (int64_t b = 0; b < hit.blocks; ++b) {
    const int64_t block = found ? lookup_.blocks[static_cast<size_t>(b)] : cached_blocks_.find(hash_of(table, b));
    if (block == BlockHashIndex::kAbsent)
      throw SimulationError("prefix cache: request " + std::to_string(id) + " takes " + std::to_string(hit.blocks) +
                            " cached blocks but block " + std::to_string(b) + " is not cached");
    if (state(block).refs++ == 0) {
      unlink_free(block);
      ++revived;
    }
    table.blocks.push_back(block);
  }
  table.num_cached = hit.blocks;
  if (revived > 0) ++version_;
  if (revived != hit.evictable)
    throw SimulationError("prefix cache: request " + std::to_string(id) + " takes a hit of " +
                          std::to_string(hit.evictable) + " unreferenced blocks, found " + std::to_string(revived));
  return revived;
}

void PrefixBlockPool::cache_full_blocks(RequestId id, int64_t num_tokens) {
  Table& table = table_of(id);
  const int64_t full = num_tokens / block_size_;
  if (full > static_cast<int64_t>(table.blocks.size()))
    throw SimulationError("prefix cache: request " + std::to_string(id) + " computes " + std::to_string(num_tokens) +
                          " tokens in " + std::to_string(table.blocks.size()) + " blocks of " +
                          std::to_string(block_size_));
  for (int64_t b = table.num_cached; b < full; ++b) {
    const uint64_t hash = hash_of(table, b);
    const int64_t block = table.blocks[static_cast<size_t>(b)];
    // A copy computed meanwhile by another request stays the one found; this block is then
    // freed and reused like an uncached one.
    if (!cached_blocks_.insert(hash, block)) continue;
    ++version_;
    state(block).hash = hash;
    state(block).cached = true;
  }
  if (full > table.num_cached) table.num_cached = full;
}

}  // namespace infersweep::sim
