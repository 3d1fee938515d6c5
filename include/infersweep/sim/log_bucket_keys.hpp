#pragma once
// The bucket key ceil(log(v) / log_gamma) of the quantile sketch, found without a log() per value.
//
// The key is a non-decreasing function of v (log is monotonic; dividing by a positive constant
// and ceil keep the order), so it steps up at thresholds: t_k is the smallest double whose key
// is at least k. The positive normal doubles are cut into sub-ranges by their exponent and top
// mantissa bits, each narrower than a bucket, so each holds at most one threshold. A sub-range's
// entry, built on its first value, holds the key of its start and the threshold inside it (found
// by bisection over the bit patterns, which order positive doubles as their values, with the
// very same key expression): the key of any value in it is then one comparison away, and equals
// that expression for every double.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "infersweep/common/double_bits.hpp"

namespace infersweep::sim {

class LogBucketKeys {
 public:
  explicit LogBucketKeys(double log_gamma);

  // The defining expression; key() returns the same for every double.
  int64_t exact(double value) const { return static_cast<int64_t>(std::ceil(std::log(value) / log_gamma_)); }

  // Zero, subnormals, negatives, infinities and NaN go to exact(), as do values too far (in
  // binades) from the first ones to keep the table small.
  int64_t key(double value) {
    const uint64_t bits = double_bits(value);
    const uint64_t index = (bits >> sub_range_shift_) - first_index_;  // wraps when below
    if (index < entries_.size() && entries_[index].key > kLogOnly) {
      return entries_[index].key + (value >= entries_[index].threshold ? 1 : 0);
    }
    return key_slow(value);
  }

  // How many sub-ranges have an entry (what the tests check is not left to exact()).
  int64_t tabulated_sub_ranges() const;

 private:
  static constexpr int kMantissaBits = 52;
  static constexpr int64_t kNotBuilt = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kLogOnly = kNotBuilt + 1;  // a sub-range with two thresholds

  struct Entry {
    double threshold = 0;     // the one threshold in the sub-range, or +inf
    int64_t key = kNotBuilt;  // key of the sub-range's first value
  };

  int64_t key_slow(double value);
  bool cover(uint64_t index);
  Entry build(uint64_t index) const;
  // Smallest bit pattern in (below, last] whose key is at least k; key(below) < k <= key(last).
  uint64_t threshold_bits(int64_t k, uint64_t below, uint64_t last) const;
  int64_t exact_bits(uint64_t bits) const;

  double log_gamma_;
  bool tabulate_ = false;  // false where the divisor does not make a non-decreasing key
  int sub_range_shift_ = kMantissaBits;
  uint64_t max_entries_ = 0;
  uint64_t first_index_ = 0;    // sub-range (bits >> sub_range_shift_) of entries_[0]
  std::vector<Entry> entries_;  // a contiguous range of sub-ranges, grown as values arrive
};

}  // namespace infersweep::sim
