#include "infersweep/sim/block_hash_index.hpp"

#include <string>

#include "infersweep/common/error.hpp"

namespace infersweep::sim {

BlockHashIndex::BlockHashIndex(int64_t max_entries) : max_entries_(max_entries < 0 ? 0 : max_entries) {
  size_t slots = 2;
  while (slots < 2 * static_cast<size_t>(max_entries_)) slots *= 2;
  slots_.assign(slots, Slot{});
  mask_ = slots - 1;
}

bool BlockHashIndex::insert(uint64_t hash, int64_t block) {
  size_t i = hash & mask_;
  for (; slots_[i].block != kAbsent; i = (i + 1) & mask_)
    if (slots_[i].hash == hash) return false;
  if (size_ == max_entries_)
    throw SimulationError("prefix cache: more than " + std::to_string(max_entries_) + " cached blocks");
  slots_[i] = {hash, block};
  ++size_;
  return true;
}

void BlockHashIndex::erase(uint64_t hash) {
  size_t hole = hash & mask_;
  for (;; hole = (hole + 1) & mask_) {
    if (slots_[hole].block == kAbsent) return;
    if (slots_[hole].hash == hash) break;
  }
  // Backward shift: entries after the hole whose probe passed through it move into it, so that
  // every entry stays reachable from its home slot without tombstones.
  for (size_t next = (hole + 1) & mask_; slots_[next].block != kAbsent; next = (next + 1) & mask_) {
    const Slot entry = slots_[next];
    // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next],
    // that is, unless it is nearer to `next` than the hole is. Which of the two it is follows
    // no pattern a branch predictor could learn, so both run without a branch.
    const bool moves = ((next - (entry.hash & mask_)) & mask_) >= ((next - hole) & mask_);
    Slot& target = slots_[hole];
    target = moves ? entry : target;
    hole = moves ? next : hole;
  }
  slots_[hole].block = kAbsent;
  --size_;
}

}  // namespace infersweep::sim
