#pragma once
// `count` additions of one value to a running sum, rounded as the additions one by one would
// round it: a series' sum stays bit for bit what it was when each sample was added alone, at
// far fewer than `count` steps (a stretch adds one token gap per decode per iteration).
#include <cstdint>

namespace infersweep::sim {

// Runs of additions that round alike, one product each (repeated_sum.cpp).
double add_in_runs(double sum, double value, int64_t count);

inline double add_repeatedly(double sum, double value, int64_t count) {
  constexpr int64_t kFewAdditions = 8;  // cheaper one by one
  if (count > kFewAdditions) return add_in_runs(sum, value, count);
  for (; count > 0; --count) sum += value;
  return sum;
}

}  // namespace infersweep::sim
