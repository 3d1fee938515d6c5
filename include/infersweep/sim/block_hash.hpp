#pragma once
// Identities of KV blocks for prefix caching. Block b of a request holds its tokens
// [b * block_size, (b + 1) * block_size); its hash covers where those tokens come from (content
// stream and offset, see workload/token_content.hpp) and, through its parent's hash, where every
// earlier token comes from. Equal hashes therefore mean equal KV, up to 64-bit collisions.
//
// Tokens past the request's spans are its own: they are hashed under a key of the request id,
// so they never match another request's tokens but do match the same request's after a
// preemption (its stream positions do not change when it restarts).
//
// The hash is spelled out here (no std::hash), so it is the same on every platform and build.
#include <cstddef>
#include <cstdint>

#include "infersweep/sim/request.hpp"
#include "infersweep/workload/token_content.hpp"

namespace infersweep::sim {

// A 64-bit bijection whose every output bit depends on every input bit (splitmix64's finaliser).
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Yields the chain hashes of a request's full blocks in order, resuming where it stopped: the
// n first hashes cost O(n + spans they cover). The content must outlive the chain.
class BlockHashChain {
 public:
  BlockHashChain() = default;
  BlockHashChain(const workload::TokenContent& content, RequestId owner, int64_t block_size);

  // The hash of the next block (blocks_hashed() of them were hashed before).
  uint64_t next();
  int64_t blocks_hashed() const { return blocks_hashed_; }

 private:
  // A run of tokens consecutive in one stream; a block's tokens are hashed as the maximal such
  // runs, so how the spans happen to be cut does not change the hash.
  struct Run {
    bool own = false;
    uint64_t stream = 0;
    int64_t offset = 0;
    int64_t length = 0;
  };
  void absorb(uint64_t& state, const Run& run) const;

  const workload::TokenContent* content_ = nullptr;
  uint64_t owner_ = 0;
  int64_t block_size_ = 1;
  size_t span_ = 0;        // the span holding the next token, or content_->size()
  int64_t span_used_ = 0;  // tokens of that span already hashed
  int64_t blocks_hashed_ = 0;
  uint64_t parent_ = 0;
};

}  // namespace infersweep::sim
