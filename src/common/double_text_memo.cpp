#include "infersweep/common/double_text_memo.hpp"

#include <cstring>

#include "infersweep/common/double_bits.hpp"

namespace infersweep {

char* DoubleTextMemo::write(char* out, double value) {
  const uint64_t bits = double_bits(value);
  // Multiplicative hash: the high bits of the product depend on every bit of the pattern, so
  // values that differ only in their last mantissa bits land in different slots.
  Slot& slot = slots_[static_cast<size_t>((bits * 0x9E3779B97F4A7C15ull) >> (64 - kSlotBits))];
  if (slot.length == 0 || slot.bits != bits) {
    // Formatted in the slot, then copied out as a hit is: a fixed-size copy, which compiles to
    // a few moves (a copy of the text's own length was a third of the time of this function).
    slot.bits = bits;
    slot.length = static_cast<uint8_t>(write_double(slot.text, value) - slot.text);
  }
  std::memcpy(out, slot.text, sizeof slot.text);
  return out + slot.length;
}

}  // namespace infersweep
