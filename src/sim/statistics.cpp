#include "infersweep/sim/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "infersweep/common/double_bits.hpp"
#include "infersweep/sim/repeated_sum.hpp"

namespace infersweep::sim {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

void sort_values(std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 4096) {
    std::sort(values.begin(), values.end());
    return;
  }
  // Bit patterns mapped so that unsigned order is the values' order: negative values' bits
  // inverted, non-negative ones' sign bit set. Zeros of both signs, equal to std::sort but not
  // here, and NaN, which std::sort does not order, are left to std::sort.
  constexpr int kDigitBits = 11;  // six passes whose counts (2,048 each) stay in cache
  constexpr int kDigits = (64 + kDigitBits - 1) / kDigitBits;
  constexpr size_t kRadix = size_t{1} << kDigitBits;
  const auto digit = [](uint64_t key, int d) { return static_cast<size_t>((key >> (kDigitBits * d)) & (kRadix - 1)); };
  std::vector<uint64_t> keys(n);
  std::vector<size_t> counts(kDigits * kRadix, 0);
  bool in_order = true;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t bits = double_bits(values[i]);
    if (bits == (uint64_t{1} << 63) || std::isnan(values[i])) {
      std::sort(values.begin(), values.end());
      return;
    }
    const uint64_t key = (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
    keys[i] = key;
    in_order = in_order && (i == 0 || keys[i - 1] <= key);
    for (int d = 0; d < kDigits; ++d) ++counts[static_cast<size_t>(d) * kRadix + digit(key, d)];
  }
  // Equal values have equal bit patterns here, so a series already in order (a constant one,
  // such as all zeros) is the one sequence std::sort gives.
  if (in_order) return;
  // Least significant digit first, each pass stable; a digit every key shares needs no pass.
  std::vector<uint64_t> scratch;
  for (int d = 0; d < kDigits; ++d) {
    size_t* count = &counts[static_cast<size_t>(d) * kRadix];
    if (count[digit(keys[0], d)] == n) continue;
    size_t offset = 0;
    for (size_t k = 0; k < kRadix; ++k) {
      const size_t c = count[k];
      count[k] = offset;
      offset += c;
    }
    scratch.resize(n);
    for (uint64_t key : keys) scratch[count[digit(key, d)]++] = key;
    keys.swap(scratch);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint64_t key = keys[i];
    values[i] = double_from_bits((key >> 63) != 0 ? key & ~(uint64_t{1} << 63) : ~key);
  }
}

Distribution summarize_exact(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  sort_values(values);
  d.count = static_cast<int64_t>(values.size());
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  d.min = values.front();
  d.max = values.back();
  d.p50 = quantile_sorted(values, 0.50);
  d.p90 = quantile_sorted(values, 0.90);
  d.p95 = quantile_sorted(values, 0.95);
  d.p99 = quantile_sorted(values, 0.99);
  return d;
}

QuantileSketch::QuantileSketch(double a)
    : gamma_((1.0 + a) / (1.0 - a)), log_gamma_(std::log(gamma_)), keys_(log_gamma_) {}

void QuantileSketch::add_new_value(double value, int64_t count) {
  if (count <= 0) return;
  last_value_ = value;
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  // Rounded exactly as when added one by one.
  sum_ = add_repeatedly(sum_, value, count);
  if (!(value > 1e-300)) {
    last_key_ = kZeroKey;
    zeros_ += count;
    return;
  }
  const int64_t key = keys_.key(value);
  last_key_ = key;
  if (buckets_.empty()) {
    offset_ = key;
    buckets_.assign(1, 0);
  } else if (key < offset_) {
    buckets_.insert(buckets_.begin(), static_cast<size_t>(offset_ - key), 0);
    offset_ = key;
  } else if (key >= offset_ + static_cast<int64_t>(buckets_.size())) {
    buckets_.resize(static_cast<size_t>(key - offset_ + 1), 0);
  }
  buckets_[static_cast<size_t>(key - offset_)] += count;
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) return 0.0;
  const double rank = q * static_cast<double>(count_ - 1);
  int64_t cumulative = zeros_;
  if (static_cast<double>(cumulative) > rank) return 0.0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i];
    if (static_cast<double>(cumulative) > rank) {
      const double key = static_cast<double>(offset_ + static_cast<int64_t>(i));
      const double value = 2.0 * std::exp(key * log_gamma_) / (1.0 + gamma_);
      return std::clamp(value, min_, max_);
    }
  }
  return max_;
}

Distribution QuantileSketch::summarize() const {
  Distribution d;
  d.count = count_;
  if (count_ == 0) return d;
  d.mean = sum_ / static_cast<double>(count_);
  d.min = min_;
  d.max = max_;
  d.p50 = quantile(0.50);
  d.p90 = quantile(0.90);
  d.p95 = quantile(0.95);
  d.p99 = quantile(0.99);
  return d;
}

double TimeWeightedSeries::mean(double end_time) const {
  if (end_time <= 0) return 0.0;
  const double area = area_ + last_value_ * std::max(0.0, end_time - last_time_);
  return area / end_time;
}

}  // namespace infersweep::sim
