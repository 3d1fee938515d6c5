#include "infersweep/sim/log_bucket_keys.hpp"

#include <algorithm>

namespace infersweep::sim {

namespace {

// 512 KiB of entries at most: 64 binades at the default accuracy, ample for a run's token gaps
// or batch sizes; values beyond them take the log.
constexpr uint64_t kMaxEntries = uint64_t{1} << 15;
constexpr int kMaxSubRangeBits = 30;
constexpr int64_t kMaxFiniteExponent = 2046;

}  // namespace

LogBucketKeys::LogBucketKeys(double log_gamma) : log_gamma_(log_gamma) {
  if (!(log_gamma_ > 0) || !std::isfinite(log_gamma_)) return;
  tabulate_ = true;
  max_entries_ = kMaxEntries;
  // A sub-range starting at mantissa m spans a relative width 2^-bits / m <= 2^-bits, strictly
  // less than a bucket's gamma - 1: it holds at most one threshold. build() checks it anyway.
  const double bits = std::floor(-std::log2(std::expm1(log_gamma_))) + 1;
  sub_range_shift_ = kMantissaBits - static_cast<int>(std::clamp(bits, 0.0, static_cast<double>(kMaxSubRangeBits)));
}

int64_t LogBucketKeys::tabulated_sub_ranges() const {
  return std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.key > kLogOnly; });
}

int64_t LogBucketKeys::exact_bits(uint64_t bits) const { return exact(double_from_bits(bits)); }

int64_t LogBucketKeys::key_slow(double value) {
  const uint64_t bits = double_bits(value);
  const auto exponent = static_cast<int64_t>(bits >> kMantissaBits);  // sign bit set: > 2047
  const uint64_t index = bits >> sub_range_shift_;
  if (!tabulate_ || exponent < 1 || exponent > kMaxFiniteExponent || !cover(index)) return exact(value);
  Entry& entry = entries_[index - first_index_];
  if (entry.key == kNotBuilt) entry = build(index);
  if (entry.key == kLogOnly) return exact(value);
  return key(value);
}

bool LogBucketKeys::cover(uint64_t index) {
  if (entries_.empty()) {
    first_index_ = index;
    entries_.resize(1);
  } else if (index < first_index_) {
    const uint64_t added = first_index_ - index;
    if (entries_.size() + added > max_entries_) return false;
    entries_.insert(entries_.begin(), added, Entry{});
    first_index_ = index;
  } else if (index - first_index_ >= entries_.size()) {
    if (index - first_index_ + 1 > max_entries_) return false;
    entries_.resize(index - first_index_ + 1);
  }
  return true;
}

LogBucketKeys::Entry LogBucketKeys::build(uint64_t index) const {
  const uint64_t first = index << sub_range_shift_;
  const uint64_t last = first | ((uint64_t{1} << sub_range_shift_) - 1);
  Entry entry;
  entry.key = exact_bits(first);
  const int64_t last_key = exact_bits(last);
  if (last_key == entry.key) {
    entry.threshold = std::numeric_limits<double>::infinity();
  } else if (last_key == entry.key + 1) {
    entry.threshold = double_from_bits(threshold_bits(last_key, first, last));
  } else {
    entry.key = kLogOnly;
  }
  return entry;
}

uint64_t LogBucketKeys::threshold_bits(int64_t k, uint64_t below, uint64_t last) const {
  // Key k holds (gamma^(k-1), gamma^k]: start near exp((k - 1) log_gamma) and widen the bracket
  // by doubling steps. The estimate is within a few ulps where log(v) is small, within about a
  // thousand near the ends of the double range.
  const double estimate = std::exp(static_cast<double>(k - 1) * log_gamma_);
  uint64_t guess = std::isfinite(estimate) ? double_bits(estimate) : last;
  guess = std::clamp(guess, below + 1, last);
  uint64_t low, high;  // key(low) < k <= key(high)
  if (exact_bits(guess) >= k) {
    high = guess;
    low = below;
    for (uint64_t step = 1; high - below > step; step *= 2) {
      if (exact_bits(high - step) < k) {
        low = high - step;
        break;
      }
      high -= step;
    }
  } else {
    low = guess;
    high = last;
    for (uint64_t step = 1; last - low > step; step *= 2) {
      if (exact_bits(low + step) >= k) {
        high = low + step;
        break;
      }
      low += step;
    }
  }
  while (high - low > 1) {
    const uint64_t middle = low + (high - low) / 2;
    if (exact_bits(middle) >= k) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high;
}

}  // namespace infersweep::sim
