#pragma once
// The prefix cache's map from block hash to block: open addressing with linear probing in a
// table sized once for the most entries it can hold (one per KV block), at most half full. Block
// hashes are already well mixed, so their low bits choose the slot. No allocation after
// construction, unlike a node-based map that allocates on every insertion.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace infersweep::sim {

class BlockHashIndex {
 public:
  static constexpr int64_t kAbsent = -1;

  explicit BlockHashIndex(int64_t max_entries);

  // The block cached under `hash`, or kAbsent.
  int64_t find(uint64_t hash) const {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (blocks_[i] == kAbsent) return kAbsent;
      if (hashes_[i] == hash) return blocks_[i];
    }
  }
  // Adds hash -> block unless `hash` is present (then returns false and changes nothing).
  // More than max_entries entries is a SimulationError.
  bool insert(uint64_t hash, int64_t block);
  // Removes `hash` if present.
  void erase(uint64_t hash);
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::vector<uint64_t> hashes_;
  std::vector<int64_t> blocks_;  // kAbsent: empty slot
  size_t mask_ = 0;
  int64_t size_ = 0;
  int64_t max_entries_;
};

}  // namespace infersweep::sim
