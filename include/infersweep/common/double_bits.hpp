#pragma once
// A double's IEEE-754 bit pattern and back. For positive doubles the patterns order as the
// values do, which bisection over doubles and exact comparisons rely on.
#include <cstdint>
#include <cstring>

namespace infersweep {

inline uint64_t double_bits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline double double_from_bits(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace infersweep
