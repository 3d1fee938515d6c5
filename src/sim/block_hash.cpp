#include "infersweep/sim/block_hash.hpp"

#include <algorithm>

namespace infersweep::sim {

namespace {

// Arbitrary odd constants: the parent of a first block, and tags that keep a request's own
// tokens apart from stream tokens with the same numbers.
constexpr uint64_t kFirstParent = 0x6a09e667f3bcc909ULL;
constexpr uint64_t kStreamTag = 0x3c6ef372fe94f82bULL;
constexpr uint64_t kOwnTag = 0xa54ff53a5f1d36f1ULL;
constexpr uint64_t kWordScale = 0x9e3779b97f4a7c15ULL;  // odd: a bijection of the word

constexpr uint64_t kRunSeed = 0xbb67ae8584caa73bULL;

// One mix per word; the mix after each word makes the order matter: absorbing (a, b) and
// (b, a) give different states.
uint64_t absorb_word(uint64_t state, uint64_t word) { return mix64(state ^ (word * kWordScale)); }

// A run's words hashed on their own, without the chain: the chain then waits for one mix per
// run, while the digests of the next blocks, which do not depend on it, are computed meanwhile.
inline uint64_t run_digest(bool own, uint64_t stream, int64_t offset, int64_t length) {
  uint64_t digest = absorb_word(kRunSeed, own ? kOwnTag : kStreamTag);
  digest = absorb_word(digest, stream);
  digest = absorb_word(digest, static_cast<uint64_t>(offset));
  return absorb_word(digest, static_cast<uint64_t>(length));
}

}  // namespace

BlockHashChain::BlockHashChain(const workload::TokenContent& content, RequestId owner, int64_t block_size)
    : content_(&content), owner_(static_cast<uint64_t>(owner)), block_size_(block_size), parent_(kFirstParent) {}

void BlockHashChain::absorb(uint64_t& state, const Run& run) const {
  state = mix64(state ^ run_digest(run.own, run.stream, run.offset, run.length));
}

uint64_t BlockHashChain::next() {
  const auto& spans = *content_;
  const int64_t first_token = blocks_hashed_ * block_size_;
  uint64_t state = parent_ ^ (static_cast<uint64_t>(block_size_) * kWordScale);
  Run run;  // the run being extended; length 0 before the block's first token
  int64_t filled = 0;
  while (filled < block_size_) {
    Run piece;
    if (span_ < spans.size()) {
      const auto& span = spans[span_];
      const int64_t left = span.length - span_used_;
      if (left <= 0) {  // an empty span, or one used up
        ++span_;
        span_used_ = 0;
        continue;
      }
      piece = {false, span.stream, span.offset + span_used_, std::min(left, block_size_ - filled)};
      span_used_ += piece.length;
    } else {
      piece = {true, owner_, first_token + filled, block_size_ - filled};
    }
    filled += piece.length;
    if (run.length > 0 && run.own == piece.own && run.stream == piece.stream &&
        run.offset + run.length == piece.offset) {
      run.length += piece.length;
    } else {
      if (run.length > 0) absorb(state, run);
      run = piece;
    }
  }
  absorb(state, run);
  parent_ = state;
  ++blocks_hashed_;
  return state;
}

}  // namespace infersweep::sim
