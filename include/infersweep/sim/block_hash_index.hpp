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
      const Slot& slot = slots_[i];
      if (slot.block == kAbsent) return kAbsent;
      if (slot.hash == hash) return slot.block;
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
  // A slot's hash and block side by side: a probe reads one cache line, not two.
  struct Slot {
    uint64_t hash = 0;
    int64_t block = kAbsent;  // kAbsent: empty slot
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int64_t size_ = 0;
  int64_t max_entries_;
};

}  // namespace infersweep::sim
