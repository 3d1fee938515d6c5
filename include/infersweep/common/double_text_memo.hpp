#pragma once
// format_double's text for recently written doubles, keyed by bit pattern. The rows of a large
// table repeat values (a request's execution time in three columns, zeros in others), and the
// shortest round-trip text costs tens of nanoseconds a value; a repeated value is copied
// instead. The text is always exactly format_double's: equal bit patterns, equal text.
#include <array>
#include <cstdint>

#include "infersweep/common/text.hpp"

namespace infersweep {

class DoubleTextMemo {
 public:
  // Writes format_double(value) at `out`, which has room for kMaxDoubleText characters, and
  // returns the end of the text.
  char* write(char* out, double value);

 private:
  static constexpr int kSlotBits = 8;
  struct Slot {
    char text[kMaxDoubleText];
    uint64_t bits = 0;
    uint8_t length = 0;  // 0: empty (every text has at least one character)
  };
  std::array<Slot, size_t{1} << kSlotBits> slots_{};
};

}  // namespace infersweep
