#pragma once
// What a cache-aware router remembers of the prefixes it routed: per replica, the identities of
// the KV blocks it sent there, the least recently routed forgotten first. A replica caches a
// request's blocks only once a batch computes them, so a router that looked at the caches
// alone would spread a burst of requests with a new shared prefix over every replica before
// the first of them is scheduled; remembering what it routed (as SGLang's router does with its
// approximate radix tree, and the Gateway API inference extension's prefix scorer with its
// indexer) sends the burst after the first.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "infersweep/workload/token_content.hpp"

namespace infersweep::sim {

// Identities of the request's leading full blocks among its first `tokens` tokens, as long as
// every token of the block comes from a content stream: block k's identity is a hash of the
// (stream, offset) runs of tokens [0, (k + 1) x block_size), so two requests get the same
// identity for block k exactly when they would share it in a prefix cache (up to 64-bit hash
// collisions). Stops at the first block holding a token of the request's own.
std::vector<uint64_t> shared_block_chain(const workload::TokenContent& content, int64_t block_size, int64_t tokens);

class RoutedPrefixes {
 public:
  // `capacity`: blocks remembered per replica (0: none).
  RoutedPrefixes(int32_t num_replicas, int64_t capacity);

  // How many of the first `limit` blocks of `chain` were routed to replica r and are still
  // remembered there, counted from the first.
  int64_t leading_blocks(int32_t replica, const std::vector<uint64_t>& chain, size_t limit) const;
  // Remembers the chain's blocks as routed to r, the first block as the most recent (a prefix
  // outlives its tails, as in vLLM's cache, which evicts a request's last block first).
  void record(int32_t replica, const std::vector<uint64_t>& chain);
  // Blocks remembered for replica r.
  int64_t size(int32_t replica) const {
    return static_cast<int64_t>(replicas_[static_cast<size_t>(replica)].slot_of.size());
  }

 private:
  // A least-recently-used set of block identities in a fixed pool of slots, linked from the
  // least (head) to the most recent (tail).
  struct Recency {
    struct Slot {
      uint64_t block = 0;
      int64_t older = -1, newer = -1;
    };
    std::vector<Slot> slots;
    std::unordered_map<uint64_t, int64_t> slot_of;
    int64_t head = -1, tail = -1;

    void unlink(int64_t s);
    void append(int64_t s);
  };

  int64_t capacity_;
  std::vector<Recency> replicas_;
};

}  // namespace infersweep::sim
