#include "routed_prefixes.hpp"

#include <algorithm>

#include "infersweep/common/random_stream.hpp"

namespace infersweep::sim {

namespace {

uint64_t mixed(uint64_t hash, uint64_t value) {
  uint64_t state = hash ^ (value * 0x9e3779b97f4a7c15ULL);
  return splitmix64(state);
}

// A run of consecutive tokens from one stream at consecutive offsets.
struct Run {
  uint64_t stream = 0;
  int64_t offset = 0, length = 0;
};

uint64_t with_run(uint64_t hash, const Run& run) {
  return mixed(mixed(mixed(hash, run.stream), static_cast<uint64_t>(run.offset)), static_cast<uint64_t>(run.length));
}

}  // namespace

std::vector<uint64_t> shared_block_chain(const workload::TokenContent& content, int64_t block_size, int64_t tokens) {
  std::vector<uint64_t> chain;
  if (content.empty() || block_size <= 0 || tokens < block_size) return chain;
  const int64_t blocks = tokens / block_size;
  chain.reserve(static_cast<size_t>(blocks));
  uint64_t hash = 0x2545f4914f6cdd1dULL;
  size_t span = 0;
  int64_t span_start = 0;  // position of content[span]'s first token in the request
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t end = (k + 1) * block_size;
    Run run;
    // Runs are merged across spans, so that however the spans split a stream, equal tokens
    // hash alike; they are cut at block boundaries, which fall at the same positions in every
    // request.
    for (int64_t position = k * block_size; position < end;) {
      while (span < content.size() && span_start + std::max<int64_t>(0, content[span].length) <= position)
        span_start += std::max<int64_t>(0, content[span++].length);
      if (span == content.size()) return chain;  // the request's own tokens from here on
      const auto& s = content[span];
      const int64_t offset = s.offset + (position - span_start);
      const int64_t length = std::min(end, span_start + s.length) - position;
      if (run.length > 0 && run.stream == s.stream && run.offset + run.length == offset) {
        run.length += length;
      } else {
        if (run.length > 0) hash = with_run(hash, run);
        run = Run{s.stream, offset, length};
      }
      position += length;
    }
    hash = with_run(hash, run);
    chain.push_back(hash);
  }
  return chain;
}

RoutedPrefixes::RoutedPrefixes(int32_t num_replicas, int64_t capacity)
    : capacity_(std::max<int64_t>(0, capacity)), replicas_(static_cast<size_t>(std::max(0, num_replicas))) {}

int64_t RoutedPrefixes::leading_blocks(int32_t replica, const std::vector<uint64_t>& chain, size_t limit) const {
  const auto& known = replicas_[static_cast<size_t>(replica)].slot_of;
  const size_t n = std::min(limit, chain.size());
  size_t k = 0;
  while (k < n && known.count(chain[k]) > 0) ++k;
  return static_cast<int64_t>(k);
}

void RoutedPrefixes::record(int32_t replica, const std::vector<uint64_t>& chain) {
  if (capacity_ == 0) return;
  auto& r = replicas_[static_cast<size_t>(replica)];
  for (auto block = chain.rbegin(); block != chain.rend(); ++block) {
    const auto found = r.slot_of.find(*block);
    if (found != r.slot_of.end()) {
      r.unlink(found->second);
      r.append(found->second);
      continue;
    }
    int64_t slot;
    if (static_cast<int64_t>(r.slots.size()) < capacity_) {
      slot = static_cast<int64_t>(r.slots.size());
      r.slots.push_back({});
    } else {
      slot = r.head;  // the least recently routed block is forgotten
      r.slot_of.erase(r.slots[static_cast<size_t>(slot)].block);
      r.unlink(slot);
    }
    r.slots[static_cast<size_t>(slot)].block = *block;
    r.slot_of.emplace(*block, slot);
    r.append(slot);
  }
}

void RoutedPrefixes::Recency::unlink(int64_t s) {
  auto& slot = slots[static_cast<size_t>(s)];
  if (slot.older >= 0)
    slots[static_cast<size_t>(slot.older)].newer = slot.newer;
  else
    head = slot.newer;
  if (slot.newer >= 0)
    slots[static_cast<size_t>(slot.newer)].older = slot.older;
  else
    tail = slot.older;
  slot.older = slot.newer = -1;
}

void RoutedPrefixes::Recency::append(int64_t s) {
  auto& slot = slots[static_cast<size_t>(s)];
  slot.older = tail;
  slot.newer = -1;
  if (tail >= 0)
    slots[static_cast<size_t>(tail)].newer = s;
  else
    head = s;
  tail = s;
}

}  // namespace infersweep::sim
