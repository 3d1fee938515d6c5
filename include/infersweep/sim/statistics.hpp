#pragma once
// Summary statistics: exact quantiles for per-request series, a log-bucket sketch with 0.1 %
// relative accuracy for the high-volume series (inter-token gaps, batches), and time-weighted
// means of step functions (memory use, busy time, MFU).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "infersweep/sim/log_bucket_keys.hpp"
#include "infersweep/sim/repeated_sum.hpp"

namespace infersweep::sim {

struct Distribution {
  int64_t count = 0;
  double mean = 0, min = 0, max = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0;
};

// Ascending, the same sequence as std::sort gives (a radix sort for large series).
void sort_values(std::vector<double>& values);
// Quantile with linear interpolation between order statistics (pandas/numpy default).
double quantile_sorted(const std::vector<double>& sorted, double q);
Distribution summarize_exact(std::vector<double> values);

// Values go to bucket ceil(log_gamma(v)), gamma = (1+a)/(1-a); a quantile is reported as the
// bucket's midpoint value, within a relative error a of a true sample.
class QuantileSketch {
 public:
  explicit QuantileSketch(double relative_accuracy = 0.001);
  void add(double value) { add(value, 1); }
  // `count` samples of one value: as many add(value) calls, with one bucket lookup. Series
  // repeat values (a batch's size, a decode iteration's time), and a repeat changes neither
  // min nor max, nor its bucket: that path is inline.
  void add(double value, int64_t count) {
    if (!(value == last_value_) || count <= 0) return add_new_value(value, count);
    count_ += count;
    sum_ = add_repeatedly(sum_, value, count);
    if (last_key_ == kZeroKey)
      zeros_ += count;
    else
      buckets_[static_cast<size_t>(last_key_ - offset_)] += count;
  }
  int64_t count() const { return count_; }
  double sum() const { return sum_; }
  double quantile(double q) const;
  Distribution summarize() const;

 private:
  double gamma_;
  double log_gamma_;
  LogBucketKeys keys_;
  int64_t count_ = 0;
  int64_t zeros_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
  int64_t offset_ = 0;  // key of buckets_[0]
  std::vector<int64_t> buckets_;
  void add_new_value(double value, int64_t count);
  // The last value added and its bucket key (kZeroKey: counted in zeros_).
  static constexpr int64_t kZeroKey = std::numeric_limits<int64_t>::min();
  double last_value_ = std::numeric_limits<double>::quiet_NaN();
  int64_t last_key_ = kZeroKey;
};

// Time-weighted mean of a step function over [0, end]: value 0 before the first record, each
// recorded value holds until the next record, the last one until `end`.
class TimeWeightedSeries {
 public:
  void record(double time, double value) {  // a few times per batch: inline
    area_ += last_value_ * (time - last_time_);
    last_time_ = time;
    last_value_ = value;
    max_ = std::max(max_, value);
  }
  double mean(double end_time) const;
  double max() const { return max_; }

 private:
  double last_time_ = 0, last_value_ = 0, area_ = 0, max_ = 0;
};

}  // namespace infersweep::sim
